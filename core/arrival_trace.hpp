#pragma once
// Recorded arrivals to replay (`arrival: trace`): times from the start of the trace, non-decreasing, with
// optional keys and sizes per arrival. Replayed times are `time x time_scale`; a looped trace starts again
// every `period` (of trace time).
#include <cstdint>
#include <string>
#include <vector>

#include "time.hpp"

namespace qlab {

struct ArrivalTrace {
  std::string file;                  // as written in the scenario (relative to it)
  std::vector<Time> times;           // not empty
  std::vector<std::uint64_t> keys;   // empty, or one per time
  std::vector<std::uint32_t> sizes;  // empty, or one per time (bytes)
  bool loop = false;
  double time_scale = 1;
  Time period = 0;                   // loop: the last time plus the mean gap (> 0)

  // Scenario time of arrival `row` (counting across loops); kNever past the end of an unlooped trace.
  Time time_of(std::uint64_t row) const;
  std::size_t index_of(std::uint64_t row) const { return static_cast<std::size_t>(row % times.size()); }
};

}  // namespace qlab
