#pragma once
// Samples the system's state at regular times. With a fixed interval every sample is kept; without one,
// the interval starts at 1us and doubles (merging neighbouring samples) whenever more than 400 points
// exist, so any run ends with 200-400 points whatever its length, without knowing that length upfront.
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

  // True when a sample falls due at or before `now`; then call sample_until() with the state that held
  // until `now` (before whatever happens at `now`).
  bool due(Time now) const { return now >= next_sample_; }
  void sample_until(Time now, const SystemState& state);
  void on_published() { ++published_; }
  void on_processed() { ++processed_; }
  // Closes the series with a final point at `end`.
  std::vector<TimeSeriesPoint> finish(Time end, const SystemState& state);

 private:
  void push(Time t, const SystemState& state);
  void halve_resolution();

  bool adaptive_;
  Time interval_;
  Time next_sample_ = 0;
  std::int64_t published_ = 0;
  std::int64_t processed_ = 0;
  std::vector<TimeSeriesPoint> points_;
};

}  // namespace qlab
