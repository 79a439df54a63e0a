#include "comparison.hpp"

#include <cmath>
#include <stdexcept>

namespace qlab::live {
namespace {

const nlohmann::json& metrics_of(const nlohmann::json& summary, const char* which) {
  if (!summary.contains("metrics") || !summary["metrics"].is_object()) {
    throw std::invalid_argument(std::string("the ") + which + " summary has no \"metrics\" object");
  }
  return summary["metrics"];
}

}  // namespace

std::vector<MetricComparison> compare_summaries(const nlohmann::json& sim, const nlohmann::json& live,
                                                const std::vector<std::string>& keys) {
  const nlohmann::json& a = metrics_of(sim, "simulated");
  const nlohmann::json& b = metrics_of(live, "live");
  std::vector<std::string> wanted = keys;
  if (wanted.empty()) {
    for (const auto& [key, value] : a.items()) {
      if (b.contains(key)) wanted.push_back(key);
    }
  }
  std::vector<MetricComparison> rows;
  for (const std::string& key : wanted) {
    if (!a.contains(key) || !b.contains(key)) {
      throw std::invalid_argument("metric '" + key + "' is not in both summaries");
    }
    MetricComparison row;
    row.key = key;
    row.sim = a[key].value("mean", 0.0);
    row.sim_ci95 = a[key].value("ci95", 0.0);
    row.live = b[key].value("mean", 0.0);
    row.live_ci95 = b[key].value("ci95", 0.0);
    row.difference = row.live - row.sim;
    if (row.sim != 0) row.relative = row.difference / std::fabs(row.sim);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace qlab::live
