#include "design_registry.hpp"

#include <utility>

#include "core/check.hpp"
#include "preassigned_queue.hpp"
#include "pull_queue.hpp"
#include "visibility_timeout_queue.hpp"

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
                  0, "how a message picks its consumer: in join order, at random, or by message key"}},
      .make = [](const DesignParams& params, RandomStream rng) -> std::unique_ptr<QueueDesign> {
        return std::make_unique<PreassignedQueue>(assignment_named(param<std::string>(params, "assignment")),
                                                  std::move(rng));
      },
  };
}

std::unique_ptr<QueueDesign> make_visibility_timeout(const DesignParams& params, RandomStream) {
  VisibilityTimeoutQueue::Options options;
  options.visibility_timeout = param<std::int64_t>(params, "visibility_timeout");
  const std::int64_t max_receives = param<std::int64_t>(params, "max_receives");
  QLAB_CHECK(max_receives >= 0 && max_receives <= UINT32_MAX, "max_receives out of range");
  options.max_receives = static_cast<std::uint32_t>(max_receives);
  options.stale_ack = param<std::string>(params, "stale_ack") == "ignore" ? VisibilityTimeoutQueue::StaleAck::ignore
                                                                          : VisibilityTimeoutQueue::StaleAck::reject;
  options.release_on_disconnect = param<bool>(params, "release_on_disconnect");
  return std::make_unique<VisibilityTimeoutQueue>(options);
}

DesignInfo visibility_timeout_design() {
  using Type = ParamSpec::Type;
  return {
      .name = "visibility_timeout",
      .summary = "SQS semantics: a receive hides the message for a while; ack deletes it, expiry redelivers it",
      .keeps_until_ack = true,
      .params =
          {
              {"visibility_timeout", Type::duration, std::int64_t{30 * kSecond}, {}, 1,
               "how long a received message stays hidden before it is redelivered"},
              {"max_receives", Type::count, std::int64_t{0}, {}, 0,
               "0 = unlimited; else a message received this many times goes to the dead-letter queue"},
              {"stale_ack", Type::choice, std::string("reject"), {"reject", "ignore"}, 0,
               "an ack with a receipt that is no longer current: reject (ElasticMQ) or ignore (SQS)"},
              {"release_on_disconnect", Type::flag, false, {}, 0,
               "true: a lost consumer's messages are visible at once; false: they wait for the timeout"},
          },
      .make = make_visibility_timeout,
  };
}

}  // namespace

const std::vector<DesignInfo>& designs() {
  static const std::vector<DesignInfo> all = {pull_design(), preassigned_design(), visibility_timeout_design()};
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

}  // namespace qlab
