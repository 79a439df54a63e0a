#include "autoscaler.hpp"

#include <algorithm>
#include <cmath>

namespace qlab::sim {

std::uint32_t Autoscaler::decide(Time now, std::uint32_t current, std::uint64_t backlog) {
  last_p99_.reset();
  if (!window_.empty()) {
    // The nearest-rank p99 of the window.
    const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(window_.size()))) - 1;
    std::nth_element(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(rank), window_.end());
    last_p99_ = window_[rank];
    window_.clear();
  }
  const std::uint32_t desired = std::clamp(wanted(current, backlog), spec_.min, spec_.max);
  const Time cooldown = desired > current ? spec_.scale_up_cooldown : spec_.scale_down_cooldown;
  if (desired == current || now - last_change_ < cooldown) return current;
  last_change_ = now;
  return desired;
}

std::uint32_t Autoscaler::wanted(std::uint32_t current, std::uint64_t backlog) const {
  if (spec_.metric == AutoscaleSpec::Metric::backlog_per_consumer) {
    return static_cast<std::uint32_t>(std::min(std::ceil(static_cast<double>(backlog) / spec_.target), 1e9));
  }
  if (!last_p99_) return current;
  const double ratio = static_cast<double>(*last_p99_) / spec_.target;
  if (std::abs(ratio - 1) <= 0.1) return current;
  return static_cast<std::uint32_t>(std::min(std::ceil(static_cast<double>(current) * ratio), 1e9));
}

}  // namespace qlab::sim
