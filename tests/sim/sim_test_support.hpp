#pragma once
// Helpers for simulator tests: scenarios from inline YAML, metric summaries over repetitions.
#include <string>
#include <vector>

#include "metrics/statistics.hpp"
#include "sim/repetition_runner.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::sim::testing {

inline Scenario scenario_from(const std::string& yaml, const std::vector<workloads::Override>& overrides = {}) {
  return workloads::load_scenario_text(yaml, "test.yaml", overrides);
}

inline Summary metric_summary(const std::vector<RunResult>& runs, const std::string& key) {
  std::vector<double> values;
  for (const RunResult& run : runs) values.push_back(run.metric(key).value());
  return summarize(values);
}

inline double metric(const RunResult& run, const std::string& key) { return run.metric(key).value(); }

// The first repetition of the scenario `yaml`.
inline RunResult run_once(const std::string& yaml, const std::vector<workloads::Override>& overrides = {}) {
  return run_repetitions(scenario_from(yaml, overrides)).front();
}

}  // namespace qlab::sim::testing
