#pragma once
// Simulation versus live: the same scenario's summary.json from `qlab run` and `qlab live`, metric by metric.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlab::live {

struct MetricComparison {
  std::string key;
  double sim = 0;
  double sim_ci95 = 0;
  double live = 0;
  double live_ci95 = 0;
  double difference = 0;               // live - sim
  std::optional<double> relative;      // (live - sim) / |sim|; absent when sim is 0
};

// Every metric present in both summaries (in the simulation's order), or only `keys` when given.
// Throws std::invalid_argument when a summary lacks "metrics" or a requested key.
std::vector<MetricComparison> compare_summaries(const nlohmann::json& sim, const nlohmann::json& live,
                                                const std::vector<std::string>& keys = {});

}  // namespace qlab::live
