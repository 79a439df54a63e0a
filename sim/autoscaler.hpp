#pragma once
// One consumer group's scaling policy (AutoscaleSpec), in the manner of KEDA and SQS-driven auto-scaling
// groups. Every `interval` the engine asks for a decision: backlog_per_consumer wants ceil(backlog / target)
// consumers; latency_p99 wants ceil(current x p99 / target) from the latencies of the messages the group
// finished since the last decision (no change within 10% of the target, as Kubernetes' HPA tolerates, or
// without data). The answer is clamped to min..max and held back by the cooldowns, both counted from the
// last change. Pure policy: no clock, no consumers.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/scenario.hpp"

namespace qlab::sim {

class Autoscaler {
 public:
  explicit Autoscaler(const AutoscaleSpec& spec) : spec_(spec) {}
  // A message the group processed finished `latency` after it was published.
  void on_processed(Time latency) { window_.push_back(latency); }
  // How many consumers the group should have from `now`: `current` are running or starting (not leaving),
  // `backlog` messages wait in the queue. Starts a new latency window.
  std::uint32_t decide(Time now, std::uint32_t current, std::uint64_t backlog);
  // The p99 latency of the window the last decision saw; nullopt when nothing finished in it.
  std::optional<Time> last_p99() const { return last_p99_; }
  const AutoscaleSpec& spec() const { return spec_; }

 private:
  std::uint32_t wanted(std::uint32_t current, std::uint64_t backlog) const;
  AutoscaleSpec spec_;
  std::vector<Time> window_;
  std::optional<Time> last_p99_;
  Time last_change_ = 0;
};

}  // namespace qlab::sim
