#include "run_result.hpp"

namespace qlab {

std::optional<double> RunResult::metric(const std::string& key) const {
  for (const Metric& m : metrics) {
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

}  // namespace qlab
