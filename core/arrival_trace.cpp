#include "arrival_trace.hpp"

namespace qlab {

Time ArrivalTrace::time_of(std::uint64_t row) const {
  const std::uint64_t round = row / times.size();
  if (round > 0 && !loop) return kNever;
  const double raw = static_cast<double>(round) * static_cast<double>(period) + static_cast<double>(times[index_of(row)]);
  const double scaled = raw * time_scale;
  return scaled >= static_cast<double>(kNever) ? kNever : static_cast<Time>(scaled);
}

}  // namespace qlab
