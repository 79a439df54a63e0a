#include "design_registry.hpp"

#include <algorithm>
#include <utility>

#include "core/check.hpp"
#include "fifo_groups_queue.hpp"
#include "limited_queue.hpp"
#include "partitioned_queue.hpp"
#include "power_of_d_queue.hpp"
#include "preassigned_queue.hpp"
#include "pull_queue.hpp"
#include "push_queue.hpp"
#include "replicated_queue.hpp"
#include "share_group_queue.hpp"
#include "visibility_timeout_queue.hpp"
#include "work_stealing_queue.hpp"

namespace qlab {
namespace {

// `params` is complete and validated by contract (see DesignInfo::make): a missing or mistyped value is a bug.
template <typename T>
const T& param(const DesignParams& params, const std::string& name) {
  const auto it = params.find(name);
  QLAB_CHECK(it != params.end(), "design parameter missing (the caller must apply with_defaults)");
  const T* value = std::get_if<T>(&it->second);
  QLAB_CHECK(value != nullptr, "design parameter has the wrong type");
  return *value;
}

PreassignedQueue::Assignment assignment_named(const std::string& name) {
  if (name == "random") return PreassignedQueue::Assignment::random;
  if (name == "hash") return PreassignedQueue::Assignment::hash;
  QLAB_CHECK(name == "round_robin", "unknown assignment (the loader validates choices)");
  return PreassignedQueue::Assignment::round_robin;
}

DesignInfo pull_design() {
  return {
      .name = "pull",
      .summary = "a shared FIFO; a consumer pulls when it has room; delivery removes the message (no ack)",
      .keeps_until_ack = false,
      .head_access = true,
      .params = {},
      .make = [](const DesignParams&, RandomStream) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<PullQueue>();
      },
  };
}

DesignInfo preassigned_design() {
  return {
      .name = "preassigned",
      .summary = "each message is bound to one consumer when published; a consumer only takes its own",
      .keeps_until_ack = false,
      .params = {{"assignment", ParamSpec::Type::choice, std::string("round_robin"), {"round_robin", "random", "hash"},
                  0, "how a message picks its consumer: in turn, at random, or by message key"},
                 {"consumers", ParamSpec::Type::count, std::int64_t{0}, {}, 0,
                  "consumers work is split among up front (ids 0..N-1); 0: the scenario's (qlab run, live)",
                  PreassignedQueue::kMaxExpectedConsumers}},
      .make = [](const DesignParams& params, RandomStream rng) -> std::unique_ptr<QueueDesign> {
        const std::int64_t consumers = param<std::int64_t>(params, "consumers");
        QLAB_CHECK(consumers >= 0 && consumers <= PreassignedQueue::kMaxExpectedConsumers,
                   "consumers out of range (the loader validates it)");
        return std::make_unique<PreassignedQueue>(assignment_named(param<std::string>(params, "assignment")),
                                                  std::move(rng), static_cast<std::uint32_t>(consumers));
      },
  };
}

VisibilityTimeoutQueue::Options visibility_options(const DesignParams& params) {
  VisibilityTimeoutQueue::Options options;
  options.visibility_timeout = param<std::int64_t>(params, "visibility_timeout");
  const std::int64_t max_receives = param<std::int64_t>(params, "max_receives");
  QLAB_CHECK(max_receives >= 0 && max_receives <= UINT32_MAX, "max_receives out of range");
  options.max_receives = static_cast<std::uint32_t>(max_receives);
  options.stale_ack = param<std::string>(params, "stale_ack") == "ignore" ? VisibilityTimeoutQueue::StaleAck::ignore
                                                                          : VisibilityTimeoutQueue::StaleAck::reject;
  options.release_on_disconnect = param<bool>(params, "release_on_disconnect");
  options.redelivery_delay = param<std::int64_t>(params, "redelivery_delay");
  options.redelivery_exponential = param<std::string>(params, "redelivery_backoff") == "exponential";
  options.redelivery_delay_max = param<std::int64_t>(params, "redelivery_delay_max");
  return options;
}

// The parameters of visibility_timeout's semantics, shared by every design that serves them.
std::vector<ParamSpec> visibility_params() {
  using Type = ParamSpec::Type;
  return {
      {"visibility_timeout", Type::duration, std::int64_t{30 * kSecond}, {}, 1,
       "how long a received message stays hidden before it is redelivered"},
      {"max_receives", Type::count, std::int64_t{0}, {}, 0,
       "0 = unlimited; else a message received this many times goes to the dead-letter queue"},
      {"stale_ack", Type::choice, std::string("reject"), {"reject", "ignore"}, 0,
       "an ack with a receipt that is no longer current: reject (ElasticMQ) or ignore (SQS)"},
      {"release_on_disconnect", Type::flag, false, {}, 0,
       "true: a lost consumer's messages are visible at once; false: they wait for the timeout"},
      {"redelivery_delay", Type::duration, std::int64_t{0}, {}, 0,
       "0 = at once; else a released (nacked) message stays hidden this long before it is redelivered"},
      {"redelivery_backoff", Type::choice, std::string("constant"), {"constant", "exponential"}, 0,
       "constant: every release waits redelivery_delay; exponential: it doubles with each receive"},
      {"redelivery_delay_max", Type::duration, std::int64_t{0}, {}, 0,
       "redelivery_backoff: exponential: the longest delay (0 = no cap)"},
  };
}

DesignInfo visibility_timeout_design() {
  return {
      .name = "visibility_timeout",
      .summary = "SQS semantics: a receive hides the message for a while; ack deletes it, expiry redelivers it",
      .keeps_until_ack = true,
      .head_access = true,
      .params = visibility_params(),
      .make = [](const DesignParams& params, RandomStream) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<VisibilityTimeoutQueue>(visibility_options(params));
      },
  };
}

std::uint32_t count_param(const DesignParams& params, const std::string& name) {
  const std::int64_t value = param<std::int64_t>(params, name);
  QLAB_CHECK(value >= 1 && value <= UINT32_MAX, "count parameter out of range (the loader checks the minimum)");
  return static_cast<std::uint32_t>(value);
}

std::unique_ptr<QueueDesign> make_replicated(const DesignParams& params, RandomStream) {
  ReplicatedQueue::Options options;
  options.delivery = visibility_options(params);
  options.replicas = count_param(params, "replicas");
  options.acks = param<std::string>(params, "acks") == "leader" ? ReplicatedQueue::Acks::leader
                                                                : ReplicatedQueue::Acks::all;
  options.min_insync = count_param(params, "min_insync");
  options.replica_lag_max = param<std::int64_t>(params, "replica_lag_max");
  options.failure_detection = param<std::int64_t>(params, "failure_detection");
  options.unclean_election = param<bool>(params, "unclean_election");
  options.replication_latency = param<std::int64_t>(params, "replication_latency");
  return std::make_unique<ReplicatedQueue>(options);
}

DesignInfo replicated_design() {
  using Type = ParamSpec::Type;
  std::vector<ParamSpec> params = visibility_params();
  params.insert(
      params.end(),
      {
          {"replicas", Type::count, std::int64_t{3}, {}, 1, "broker nodes holding a copy; node 0 leads first"},
          {"acks", Type::choice, std::string("all"), {"leader", "all"}, 0,
           "when a publish is confirmed: once the leader has it, or once every in-sync replica has it"},
          {"min_insync", Type::count, std::int64_t{1}, {}, 1,
           "publishes are refused while fewer replicas than this (leader included) are in sync"},
          {"replica_lag_max", Type::duration, std::int64_t{10 * kSecond}, {}, 0,
           "a follower whose oldest unapplied operation is older than this leaves the in-sync set"},
          {"failure_detection", Type::duration, std::int64_t{kSecond}, {}, 0,
           "time from a leader crash to the election of a new leader (unavailable meanwhile)"},
          {"unclean_election", Type::flag, false, {}, 0,
           "true: with no live in-sync replica, elect the most advanced live one, losing what it lacks"},
          {"replication_latency", Type::duration, std::int64_t{kMillisecond}, {}, 0,
           "one-way leader-to-follower delay; acks: all confirms one round trip after the publish"},
      });
  return {
      .name = "replicated",
      .summary = "visibility_timeout on a leader whose publishes and deletes are replicated to followers (Kafka ISR)",
      .keeps_until_ack = true,
      .confirms_publishes = true,
      .forgets_settled = false,
      .params = std::move(params),
      .make = make_replicated,
  };
}

DesignInfo push_design() {
  return {
      .name = "push",
      .summary = "RabbitMQ: pushed round robin to consumers with free prefetch credit; unacked requeued on disconnect",
      .keeps_until_ack = true,
      .head_access = true,
      .params = {{"consumer_timeout", ParamSpec::Type::duration, std::int64_t{0}, {}, 0,
                  "0 = never; else a delivery unacked this long closes its consumer's channel (all its unacked requeued)"}},
      .make = [](const DesignParams& params, RandomStream) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<PushQueue>(param<std::int64_t>(params, "consumer_timeout"));
      },
  };
}

DesignInfo power_of_d_design() {
  return {
      .name = "power_of_d",
      .summary = "each message pushed to the shortest local queue of d consumers sampled at random (supermarket model)",
      .keeps_until_ack = false,
      .params = {{"d", ParamSpec::Type::count, std::int64_t{2}, {}, 1,
                  "consumers sampled per message (with replacement); 1 = random assignment"}},
      .make = [](const DesignParams& params, RandomStream rng) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<PowerOfDQueue>(count_param(params, "d"), std::move(rng));
      },
  };
}

DesignInfo jsq_design() {
  return {
      .name = "jsq",
      .summary = "join the shortest queue: each message pushed to the live consumer with the fewest bound and unacked",
      .keeps_until_ack = false,
      .params = {},
      .make = [](const DesignParams&, RandomStream rng) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<PowerOfDQueue>(0, std::move(rng));
      },
  };
}

DesignInfo work_stealing_design() {
  using Type = ParamSpec::Type;
  return {
      .name = "work_stealing",
      .summary = "preassigned round robin, but a consumer with credit and nothing queued steals from another queue",
      .keeps_until_ack = false,
      .params = {{"steal", Type::choice, std::string("half"), {"one", "half"}, 0,
                  "how much a thief takes from the tail of its victim's queue"},
                 {"victim", Type::choice, std::string("longest"), {"longest", "random"}, 0,
                  "whose queue a thief steals from: the longest, or a random non-empty one"}},
      .make = [](const DesignParams& params, RandomStream rng) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<WorkStealingQueue>(
            param<std::string>(params, "steal") == "one" ? WorkStealingQueue::Steal::one : WorkStealingQueue::Steal::half,
            param<std::string>(params, "victim") == "random" ? WorkStealingQueue::Victim::random
                                                             : WorkStealingQueue::Victim::longest,
            std::move(rng));
      },
  };
}

DesignInfo fifo_groups_design() {
  using Type = ParamSpec::Type;
  return {
      .name = "fifo_groups",
      .summary = "SQS FIFO: in order within a message group (from the key), at most one message per group in flight",
      .keeps_until_ack = true,
      .params = {{"groups", Type::count, std::int64_t{0}, {}, 0,
                  "0 = the message key is its group; else the group is the key modulo this"},
                 {"visibility_timeout", Type::duration, std::int64_t{30 * kSecond}, {}, 1,
                  "how long a received message stays hidden (and its group blocked) before it is redelivered"}},
      .make = [](const DesignParams& params, RandomStream) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<FifoGroupsQueue>(static_cast<std::uint64_t>(param<std::int64_t>(params, "groups")),
                                                 param<std::int64_t>(params, "visibility_timeout"));
      },
  };
}

std::unique_ptr<QueueDesign> make_partitioned(const DesignParams& params, RandomStream) {
  PartitionedQueue::Options options;
  options.partitions = count_param(params, "partitions");
  options.partitioner = param<std::string>(params, "partitioner") == "round_robin" ? PartitionedQueue::Partitioner::round_robin
                                                                                   : PartitionedQueue::Partitioner::key;
  const std::string& assignment = param<std::string>(params, "assignment");
  options.assignment = assignment == "sticky"        ? PartitionedQueue::Assignment::sticky
                       : assignment == "round_robin" ? PartitionedQueue::Assignment::round_robin
                                                     : PartitionedQueue::Assignment::range;
  options.session_timeout = param<std::int64_t>(params, "session_timeout");
  options.rebalance = param<std::string>(params, "rebalance") == "cooperative" ? PartitionedQueue::Rebalance::cooperative
                                                                              : PartitionedQueue::Rebalance::eager;
  options.rebalance_time = param<std::int64_t>(params, "rebalance_time");
  options.commit = param<std::string>(params, "commit") == "after_processing" ? PartitionedQueue::Commit::after_processing
                                                                             : PartitionedQueue::Commit::interval;
  options.commit_interval = param<std::int64_t>(params, "commit_interval");
  return std::make_unique<PartitionedQueue>(options);
}

// The parameters of Kafka's topic layout, shared by partitioned and share_group.
std::vector<ParamSpec> partition_params(std::vector<ParamSpec> more) {
  using Type = ParamSpec::Type;
  std::vector<ParamSpec> params = {
      {"partitions", Type::count, std::int64_t{8}, {}, 1, "partitions of the topic"},
      {"partitioner", Type::choice, std::string("key"), {"key", "round_robin"}, 0,
       "how a message picks its partition: by a hash of its key, or in turn"},
  };
  params.insert(params.end(), more.begin(), more.end());
  return params;
}

DesignInfo partitioned_design() {
  using Type = ParamSpec::Type;
  return {
      .name = "partitioned",
      .summary = "Kafka consumer groups: partitions owned by one member each, in order, committed offsets, rebalances",
      .keeps_until_ack = true,
      .expiry = false,
      .params = partition_params({
              {"assignment", Type::choice, std::string("range"), {"range", "round_robin", "sticky"}, 0,
               "how a rebalance spreads partitions over the members (ordered by id)"},
              {"session_timeout", Type::duration, std::int64_t{45 * kSecond}, {}, 0,
               "a lost member keeps its partitions (undelivered) this long before a rebalance takes them"},
              {"rebalance", Type::choice, std::string("eager"), {"eager", "cooperative"}, 0,
               "eager: every partition pauses for rebalance_time; cooperative: only the partitions that move"},
              {"rebalance_time", Type::duration, std::int64_t{3 * kSecond}, {}, 0,
               "how long a rebalance stops delivery from the partitions it pauses"},
              {"commit", Type::choice, std::string("interval"), {"interval", "after_processing"}, 0,
               "when processed offsets are committed: every commit_interval (auto-commit), or at each ack"},
              {"commit_interval", Type::duration, std::int64_t{5 * kSecond}, {}, 1,
               "commit: interval: the auto-commit period (processed, uncommitted records are redone after a move)"},
          }),
      .make = make_partitioned,
  };
}

DesignInfo share_group_design() {
  using Type = ParamSpec::Type;
  return {
      .name = "share_group",
      .summary = "Kafka share groups (KIP-932): partitions whose records any consumer acquires under a lock",
      .keeps_until_ack = true,
      .params = partition_params({
              {"lock_duration", Type::duration, std::int64_t{30 * kSecond}, {}, 1,
               "how long an acquired record stays locked before it is available again"},
              {"delivery_limit", Type::count, std::int64_t{5}, {}, 1,
               "a record acquired this many times without being accepted is archived (dead-lettered)"},
              {"max_record_locks", Type::count, std::int64_t{200}, {}, 1,
               "records in flight per partition, counted from its oldest record not completed"},
          }),
      .make = [](const DesignParams& params, RandomStream) -> std::unique_ptr<QueueDesign> {
        ShareGroupQueue::Options options;
        options.partitions = count_param(params, "partitions");
        options.round_robin = param<std::string>(params, "partitioner") == "round_robin";
        options.lock_duration = param<std::int64_t>(params, "lock_duration");
        options.delivery_limit = count_param(params, "delivery_limit");
        options.max_record_locks = count_param(params, "max_record_locks");
        return std::make_unique<ShareGroupQueue>(options);
      },
  };
}

QueueLimits limits_of(const DesignParams& params) {
  QueueLimits limits;
  limits.max_length = static_cast<std::uint64_t>(param<std::int64_t>(params, "max_length"));
  if (const auto it = params.find("max_bytes"); it != params.end()) {
    limits.max_bytes = static_cast<std::uint64_t>(std::get<std::int64_t>(it->second));
  }
  if (const auto it = params.find("overflow"); it != params.end() && std::get<std::string>(it->second) == "drop_head") {
    limits.overflow = QueueLimits::Overflow::drop_head;
  }
  if (const auto it = params.find("ttl"); it != params.end()) limits.ttl = std::get<std::int64_t>(it->second);
  limits.dead_letter = param<std::string>(params, "discarded") == "dead_letter";
  return limits;
}

// `info` with the queue limits every design takes (and those of head access), its factory wrapping the design in
// a LimitedQueue when some limit is set.
DesignInfo with_limits(DesignInfo info) {
  using Type = ParamSpec::Type;
  info.params.push_back({"max_length", Type::count, std::int64_t{0}, {}, 0,
                         "0 = unbounded; else at most this many messages wait to be delivered (overflow decides)"});
  if (info.head_access) {
    info.params.push_back({"max_bytes", Type::count, std::int64_t{0}, {}, 0,
                           "0 = unbounded; else the waiting messages' bytes stay within this (overflow decides)"});
  }
  std::vector<std::string> overflow = {"reject_publish"};
  if (info.head_access) overflow.push_back("drop_head");
  info.params.push_back({"overflow", Type::choice, std::string("reject_publish"), overflow, 0,
                         info.head_access ? "a full queue refuses the publish, or discards its oldest waiting messages"
                                          : "a full queue refuses the publish (no drop_head: no access to its head)"});
  if (info.expiry) {
    info.params.push_back({"ttl", Type::duration, std::int64_t{0}, {}, 0,
                           "0 = never; else a message this old when it reaches the head is discarded (expired)"});
  }
  info.params.push_back({"discarded", Type::choice, std::string("drop"), {"drop", "dead_letter"}, 0,
                         "where expired and head-dropped messages go: nowhere, or the dead-letter queue"});
  info.make = [make = std::move(info.make), keeps = info.keeps_until_ack](
                  const DesignParams& params, RandomStream rng) -> std::unique_ptr<QueueDesign> {
    std::unique_ptr<QueueDesign> design = make(params, std::move(rng));
    const QueueLimits limits = limits_of(params);
    if (!limits.any()) return design;
    return std::make_unique<LimitedQueue>(std::move(design), limits, keeps);
  };
  return info;
}

}  // namespace

const std::vector<DesignInfo>& designs() {
  static const std::vector<DesignInfo> all = [] {
    std::vector<DesignInfo> plain = {pull_design(),        preassigned_design(),   visibility_timeout_design(),
                                     replicated_design(),  push_design(),          power_of_d_design(),
                                     jsq_design(),         work_stealing_design(), fifo_groups_design(),
                                     partitioned_design(), share_group_design()};
    std::vector<DesignInfo> limited;
    for (DesignInfo& info : plain) limited.push_back(with_limits(std::move(info)));
    return limited;
  }();
  return all;
}

const DesignInfo* find_design(const std::string& name) {
  for (const DesignInfo& info : designs()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

DesignParams with_defaults(const DesignInfo& info, DesignParams given) {
  for (const ParamSpec& spec : info.params) given.try_emplace(spec.name, spec.default_value);
  return given;
}

QueueSpec queue_for_run(const Scenario& scenario) {
  QueueSpec queue = scenario.queue;
  const DesignInfo* info = find_design(queue.design);
  const bool takes_it = info != nullptr && std::any_of(info->params.begin(), info->params.end(),
                                                       [](const ParamSpec& p) { return p.name == "consumers"; });
  const auto given = queue.params.find("consumers");
  if (takes_it && (given == queue.params.end() || given->second == ParamValue(std::int64_t{0}))) {
    std::int64_t consumers = 0;
    for (const ConsumerGroup& group : scenario.consumers) consumers += group.count;
    queue.params["consumers"] = consumers;
  }
  return queue;
}

}  // namespace qlab
