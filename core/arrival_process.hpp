#pragma once
// One producer's arrival process, drawn exactly as the simulator draws it (poisson: an exponential gap from
// the previous arrival; constant: spacing counted from the last (re)start, so rounding never accumulates;
// batch: everything at `at`; trace: the recorded times), so that a live producer publishes at the simulated
// arrival times. With a rate schedule, poisson arrivals are a non-homogeneous Poisson process (an Exp(1)
// amount of the integrated rate between arrivals: the time-change construction) and constant arrivals are
// spaced by one message's worth of the integrated rate from the previous arrival.
//
// A producer that crashes loses the arrival it had already drawn; after its restart at `now` the process
// continues from `now` (poisson: a fresh gap; constant: a new origin). Scenario time, ns.
#include <cstdint>
#include <optional>

#include "core/distribution.hpp"
#include "core/random_stream.hpp"
#include "core/scenario.hpp"

namespace qlab {

class ArrivalProcess {
 public:
  // `arrivals` is the stream "producer/GROUP/INDEX/arrivals" of the repetition seed.
  ArrivalProcess(const ProducerGroup& group, std::optional<Time> duration, RandomStream arrivals);
  // The next arrival after an arrival (or a start or restart) at `now`; kNever once the producer is done
  // (its messages are all published, or the next arrival falls at or after `duration`). A plain time, not
  // an optional: GCC returns an optional through memory, and reading its flag back stalled every message.
  Time next(Time now);
  // One message was published (counts towards `messages` and the constant-rate spacing).
  void on_published();
  // The producer restarts at `now` after a crash: the constant-rate spacing counts from here.
  void on_restart(Time now);
  // arrival: trace: the trace row of the next message (its key and size, when the trace has them).
  std::size_t trace_row() const { return group_.trace->index_of(row_); }
  // How many messages this producer published so far (the sequence number of the next one).
  std::uint64_t sent() const { return sent_; }
  // Whether more messages are allowed (`messages` not used up); a batch producer publishes all of them at once.
  std::uint64_t left() const { return left_; }

 private:
  const ProducerGroup& group_;
  std::optional<Time> duration_;
  RandomStream arrivals_;
  Distribution gap_;  // poisson without a schedule: the exponential gap between arrivals
  std::uint64_t left_;
  std::uint64_t sent_ = 0;
  Time origin_ = 0;
  std::uint64_t sent_at_origin_ = 0;
  std::uint64_t row_ = 0;  // trace: the next row, counting across loops
};

}  // namespace qlab
