#include "chaos/design_audit.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "core/random_stream.hpp"
#include "queues/design_registry.hpp"
#include "queues/fifo_groups_queue.hpp"
#include "queues/partitioned_queue.hpp"

namespace qlab::chaos {
namespace {

constexpr int kSteps = 1500;
constexpr std::uint64_t kKeys = 6;  // few keys, so groups collide often

std::int64_t int_param(const Scenario& scenario, const std::string& name, std::int64_t fallback) {
  const auto it = scenario.queue.params.find(name);
  if (it == scenario.queue.params.end()) return fallback;
  const auto* value = std::get_if<std::int64_t>(&it->second);
  return value ? *value : fallback;
}

std::string choice_param(const Scenario& scenario, const std::string& name) {
  const auto it = scenario.queue.params.find(name);
  if (it == scenario.queue.params.end()) return "";
  const auto* value = std::get_if<std::string>(&it->second);
  return value ? *value : "";
}

bool flag_param(const Scenario& scenario, const std::string& name) {
  const auto it = scenario.queue.params.find(name);
  if (it == scenario.queue.params.end()) return false;
  const auto* value = std::get_if<bool>(&it->second);
  return value != nullptr && *value;
}

// Drives a design that keeps messages until acked (the promises audited are about deliveries still held).
class Auditor {
 public:
  Auditor(const Scenario& scenario, std::unique_ptr<QueueDesign> design)
      : info_(*find_design(scenario.queue.design)),
        design_(std::move(design)),
        rng_(RandomStream::derive(scenario.seed, "audit/workload")),
        kind_(scenario.queue.design == "fifo_groups"   ? Kind::groups
              : scenario.queue.design == "partitioned" ? Kind::partitions
              : scenario.queue.design == "share_group" ? Kind::shares
                                                       : Kind::plain),
        groups_(static_cast<std::uint64_t>(int_param(scenario, "groups", 0))),
        partitions_(static_cast<std::uint32_t>(int_param(scenario, "partitions", 1))),
        round_robin_(choice_param(scenario, "partitioner") == "round_robin"),
        max_record_locks_(int_param(scenario, "max_record_locks", 0)),
        releases_on_loss_(scenario.queue.design == "push" || flag_param(scenario, "release_on_disconnect")),
        channel_timeout_(scenario.queue.design == "push") {
    // The one of these a design has bounds how long a delivery stays its consumer's alone (0 or none: for ever).
    for (const char* name : {"visibility_timeout", "lock_duration", "consumer_timeout"}) {
      const Time timeout = int_param(scenario, name, 0);
      if (timeout > 0) redelivery_after_ = std::min(redelivery_after_, timeout);
    }
    for (const ConsumerGroup& group : scenario.consumers) {
      for (std::uint32_t i = 0; i < group.count; ++i) prefetch_.push_back(std::max<std::uint32_t>(group.prefetch, 1));
    }
  }

  std::vector<Violation> run() {
    if (prefetch_.empty()) return {};
    for (ConsumerId c = 0; c < prefetch_.size(); ++c) {
      call([&](ActionBuffer& out) { design_->on_consumer_joined(now_, c, out); });
      pull(c, prefetch_[c]);
    }
    for (int i = 0; i < kSteps && violations_.size() < 3; ++i) step();
    return std::move(violations_);
  }

 private:
  struct Current {
    MessageId message = 0;
    ConsumerId consumer = 0;
    Time deadline = kNever;
  };

  void step() {
    const auto c = static_cast<ConsumerId>(rng_.next_below(prefetch_.size()));
    switch (rng_.next_below(12)) {
      case 0: case 1: case 2: case 3: {
        const Message m{next_id_++, now_, rng_.next_below(kKeys), 100};
        const std::uint64_t stream = stream_of(m.key);
        position_[m.id] = {stream, published_[stream].size()};
        published_[stream].push_back(m.id);
        call([&](ActionBuffer& out) { design_->on_publish(now_, m, out); });
        break;
      }
      case 4: case 5: case 6:
        if (const auto r = pick(c)) finish(*r, true);
        break;
      case 7:
        if (const auto r = pick(c)) finish(*r, false);
        break;
      case 8:
        if (lost_.count(c)) {
          lost_.erase(c);
          call([&](ActionBuffer& out) { design_->on_consumer_joined(now_, c, out); });
          pull(c, prefetch_[c]);
        } else {
          lost_.insert(c);
          // A design that releases a lost consumer's deliveries may hand them to another consumer at once.
          if (releases_on_loss_) std::erase_if(current_, [&](const auto& entry) { return entry.second.consumer == c; });
          call([&](ActionBuffer& out) { design_->on_consumer_lost(now_, c, out); });
        }
        break;
      default: {
        now_ += static_cast<Time>(rng_.next_below(400)) * kMillisecond;
        if (design_->next_deadline() <= now_) call([&](ActionBuffer& out) { design_->on_timer(now_, out); });
        break;
      }
    }
  }

  // The group (fifo_groups) or partition (partitioned) a message with `key` goes to; 0 for other designs.
  std::uint64_t stream_of(std::uint64_t key) {
    if (kind_ == Kind::groups) return FifoGroupsQueue::group_of(key, groups_);
    if (kind_ != Kind::partitions && kind_ != Kind::shares) return 0;
    if (!round_robin_) return PartitionedQueue::partition_of(key, partitions_);
    const std::uint64_t stream = published_count_++ % partitions_;
    return stream;
  }

  // Whether every message of `stream` before `offset` was acked.
  bool acked_before(std::uint64_t stream, std::size_t offset) const {
    const std::vector<MessageId>& order = published_.at(stream);
    return std::all_of(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(offset),
                       [&](MessageId id) { return acked_.count(id) != 0; });
  }

  // A current delivery held by `c` (or by anyone when `c` holds none), if there is one.
  std::optional<Receipt> pick(ConsumerId c) {
    for (const auto& [receipt, cur] : current_) {
      if (cur.consumer == c) return receipt;
    }
    return current_.empty() ? std::nullopt : std::optional<Receipt>(current_.begin()->first);
  }

  // The consumer acks (or releases) delivery `receipt`, and asks for one more.
  void finish(Receipt receipt, bool ack) {
    const Current cur = current_.at(receipt);
    current_.erase(receipt);
    if (ack) {
      // Counted as acked before the call: the deliveries the ack releases are checked within it.
      const bool first = acked_.insert(cur.message).second;
      const ActionBuffer out = call([&](ActionBuffer& o) { design_->on_ack(now_, cur.consumer, receipt, o); });
      const bool refused = std::any_of(out.begin(), out.end(), [](const Action& a) {
        return a.kind == ActionKind::ack_rejected || a.kind == ActionKind::ack_ignored;
      });
      if (refused && first) acked_.erase(cur.message);
    } else {
      call([&](ActionBuffer& out) { design_->on_release(now_, cur.consumer, receipt, out); });
    }
    if (!lost_.count(cur.consumer)) pull(cur.consumer, 1);
  }

  void pull(ConsumerId c, std::uint32_t count) {
    call([&](ActionBuffer& out) { design_->on_pull(now_, c, count, out); });
  }

  template <class Input>
  ActionBuffer call(Input input) {
    ActionBuffer out;
    input(out);
    // Deliveries whose redelivery timeout has passed are no longer current; push closes the channel of such
    // a delivery's consumer, taking back all it holds.
    std::set<ConsumerId> closed;
    for (const auto& [receipt, cur] : current_) {
      if (cur.deadline <= now_) closed.insert(cur.consumer);
    }
    std::erase_if(current_, [&](const auto& entry) {
      return entry.second.deadline <= now_ || (channel_timeout_ && closed.count(entry.second.consumer) != 0);
    });
    for (const Action& a : out) {
      if (a.kind == ActionKind::deliver) on_deliver(a);
    }
    return out;
  }

  void on_deliver(const Action& a) {
    // Built only for a violation: deliveries are many.
    const auto what = [&] {
      return "message " + std::to_string(a.message.id) + " delivered to consumer " + std::to_string(a.consumer) +
             " at " + std::to_string(now_) + " ns";
    };
    const auto [stream, offset] = position_.at(a.message.id);
    if (kind_ != Kind::partitions) {
      for (const auto& [receipt, cur] : current_) {
        if (cur.message == a.message.id) {
          fail("custody", what() + " while consumer " + std::to_string(cur.consumer) + " still holds it unexpired");
        }
      }
    }
    if (kind_ == Kind::groups) {
      for (const auto& [receipt, cur] : current_) {
        if (position_.at(cur.message).first == stream) {
          fail("group_in_flight", what() + " while message " + std::to_string(cur.message) + " of group " +
                                      std::to_string(stream) + " is in flight");
        }
      }
      if (!acked_before(stream, offset)) {
        fail("group_order", what() + ": group " + std::to_string(stream) + " still has an older message unacked");
      }
    }
    if (kind_ == Kind::partitions) {
      // In offset order, one consumer at a time; a rewind or a change of consumer only past acked records.
      auto& [next, last_consumer] = partition_state_[stream];
      const bool in_order = offset == next && a.consumer == last_consumer;
      if (!in_order && !acked_before(stream, offset)) {
        fail("partition_order", what() + ": offset " + std::to_string(offset) + " of partition " + std::to_string(stream) +
                                    " while offset " + std::to_string(next) + " was next for consumer " +
                                    std::to_string(last_consumer) + " and an earlier record is unacked");
      }
      next = offset + 1;
      last_consumer = a.consumer;
    }
    if (kind_ == Kind::shares) {
      const auto locked = std::count_if(current_.begin(), current_.end(), [&](const auto& entry) {
        return position_.at(entry.second.message).first == stream;
      });
      if (locked >= max_record_locks_) {
        fail("lock_limit", what() + ": partition " + std::to_string(stream) + " already has " + std::to_string(locked) +
                               " records locked (max_record_locks " + std::to_string(max_record_locks_) + ")");
      }
    }
    const Time deadline = redelivery_after_ > kNever - now_ ? kNever : now_ + redelivery_after_;
    current_[a.receipt] = {a.message.id, a.consumer, deadline};
  }

  void fail(const char* invariant, std::string detail) {
    if (violations_.size() < 3) violations_.push_back({invariant, "design audit: " + std::move(detail)});
  }

  const DesignInfo& info_;
  std::unique_ptr<QueueDesign> design_;
  RandomStream rng_;
  enum class Kind { plain, groups, partitions, shares };
  Kind kind_;
  std::uint64_t groups_;
  std::uint32_t partitions_;
  bool round_robin_;
  std::int64_t max_record_locks_;
  std::uint64_t published_count_ = 0;
  bool releases_on_loss_;
  bool channel_timeout_;  // a consumer's timed-out delivery takes back everything it holds (push)
  Time redelivery_after_ = kNever;
  Time now_ = 0;
  MessageId next_id_ = 1;
  std::vector<std::uint32_t> prefetch_;
  std::set<ConsumerId> lost_;
  std::map<Receipt, Current> current_;
  std::map<std::uint64_t, std::vector<MessageId>> published_;  // by stream, publish order
  std::map<MessageId, std::pair<std::uint64_t, std::size_t>> position_;  // stream and offset in it
  // partitioned: by partition, the offset after the last one delivered and to whom it went.
  std::map<std::uint64_t, std::pair<std::size_t, ConsumerId>> partition_state_;
  std::set<MessageId> acked_;
  std::vector<Violation> violations_;
};

}  // namespace

std::vector<Violation> audit_design(const Scenario& scenario) {
  const DesignInfo* info = find_design(scenario.queue.design);
  if (info == nullptr || !info->keeps_until_ack) return {};
  return audit_design(scenario, info->make(with_defaults(*info, scenario.queue.params),
                                           RandomStream::derive(scenario.seed, "audit/queue")));
}

std::vector<Violation> audit_design(const Scenario& scenario, std::unique_ptr<QueueDesign> design) {
  const DesignInfo* info = find_design(scenario.queue.design);
  if (info == nullptr || !info->keeps_until_ack) return {};
  return Auditor(scenario, std::move(design)).run();
}

}  // namespace qlab::chaos
