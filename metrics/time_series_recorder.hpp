#pragma once
// The system's state over time, per interval: the time-weighted mean of each quantity over the interval
// (so that averaging the points gives the run's time average, as Little's law wants), the backlog's and
// in-flight count's maximum, and the messages published and processed in it. Intervals end at round times:
// multiples of a fixed interval, or without one an interval that starts at 1us and grows 1, 2, 10, 20, 100,
// ... (merging neighbouring points) whenever more than 1000 points exist, so that any run ends with
// 200-1000 points whatever its length, without knowing that length upfront.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "run_result.hpp"

namespace qlab {

struct SystemState {
  std::int64_t backlog = 0;
  std::int64_t in_flight = 0;
  std::int64_t busy_consumers = 0;
  std::int64_t alive_consumers = 0;
};

class TimeSeriesRecorder {
 public:
  explicit TimeSeriesRecorder(std::optional<Time> fixed_interval);

  // `state` held from the previous observation until `now` (non-decreasing). Call it before every change of
  // state, with the state as it was, and before on_published()/on_processed() at `now`.
  void observe(Time now, const SystemState& state) {
    if (now >= next_boundary_) close_intervals_until(now, state);
    accumulate(now, state);
  }
  void on_published() { ++published_; }
  void on_processed() { ++processed_; }
  // Observes `state` until `end` and closes the series with a last, possibly shorter, interval ending there.
  std::vector<TimeSeriesPoint> finish(Time end, const SystemState& state);

 private:
  // Areas under each quantity (count x ns) since the start of the open interval.
  struct Open {
    double backlog = 0;
    double in_flight = 0;
    double busy = 0;
    double alive = 0;
    std::int64_t backlog_max = 0;
    std::int64_t in_flight_max = 0;
  };

  void accumulate(Time now, const SystemState& state) {
    const Time held = now - last_;
    if (held <= 0) return;  // a state that lasted no time is no sample (e.g. a message delivered at once)
    const auto dt = static_cast<double>(held);
    open_.backlog += static_cast<double>(state.backlog) * dt;
    open_.in_flight += static_cast<double>(state.in_flight) * dt;
    open_.busy += static_cast<double>(state.busy_consumers) * dt;
    open_.alive += static_cast<double>(state.alive_consumers) * dt;
    open_.backlog_max = std::max(open_.backlog_max, state.backlog);
    open_.in_flight_max = std::max(open_.in_flight_max, state.in_flight);
    last_ = now;
  }
  void close_intervals_until(Time now, const SystemState& state);
  // Closes the open interval at `t`, which began at `t - length`.
  void push(Time t, Time length);
  // Merges every `factor` neighbouring points into one; a last incomplete group goes back into the open interval.
  void coarsen(std::int64_t factor);

  bool adaptive_;
  Time interval_;
  Time next_boundary_;
  Time last_ = 0;
  Open open_;
  std::int64_t published_ = 0;
  std::int64_t processed_ = 0;
  std::vector<TimeSeriesPoint> points_;
};

}  // namespace qlab
