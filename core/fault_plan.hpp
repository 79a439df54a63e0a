#pragma once
// The fault schedule of one repetition, drawn exactly as the simulator draws it, so that live mode applies
// the same faults at the same times to the same targets (issue: "same draws, same schedule").
//
// The contract both modes follow: fault F draws from the stream "fault/F" of the repetition seed; its first
// occurrence is `at`, or one `every` gap after 0; each occurrence first resolves its members (`any consumer`
// draws one among the consumers not down from an earlier `crash`), then draws the gap to the next occurrence,
// which is dropped after `until`. A crashed consumer is down until its restart (`restart_after` later); a
// crash of a consumer that is down does nothing. Occurrences and restarts at the same instant are taken in
// the order the simulator's event list takes them (time, then the order they were planned in).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/random_stream.hpp"
#include "core/scenario.hpp"

namespace qlab {

struct FaultOccurrence {
  Time at = 0;
  std::size_t fault = 0;                // index into Scenario::faults
  // Flat member indices, in scenario order: consumers, or producers when `on_producers`, or the broker node
  // for broker_crash (empty for `target: leader`, which only the running design can resolve). Window faults
  // (partition, drop, delay) list every client they cover. A crash lists only consumers that were up.
  std::vector<std::uint32_t> members;
  bool on_producers = false;
};

class FaultPlan {
 public:
  FaultPlan(const Scenario& scenario, std::uint64_t repetition_seed);
  // The next occurrence in time order, or nullopt when no fault will fire again.
  std::optional<FaultOccurrence> next();
  // When next() would return the next occurrence; kNever when none is left.
  Time next_time() const;

 private:
  struct Pending {
    Time at;
    std::uint64_t sequence;
    bool restart;            // a consumer restart, else a fault occurrence
    std::uint32_t index;     // consumer / fault
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : sequence > o.sequence; }
  };
  void plan(Time at, bool restart, std::uint32_t index);
  std::vector<std::uint32_t> resolve(const FaultTarget& target, RandomStream& rng) const;

  const Scenario& scenario_;
  std::vector<RandomStream> rngs_;
  std::vector<std::uint32_t> first_consumer_;  // per consumer group
  std::vector<std::uint32_t> first_producer_;  // per producer group
  std::uint32_t producer_count_ = 0;
  std::vector<bool> down_;                     // per consumer
  std::vector<Pending> pending_;               // a min-heap
  std::uint64_t next_sequence_ = 0;
};

}  // namespace qlab
