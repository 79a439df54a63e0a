#pragma once
// Helpers for simulator tests: scenarios from inline YAML, metric summaries over repetitions.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "metrics/results_writer.hpp"
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

// The summary of `runs` without the metrics that measure the machine rather than the model.
inline nlohmann::ordered_json model_metrics(const std::vector<RunResult>& runs) {
  auto doc = summary_json(RunInfo{}, runs);
  for (const char* key : {"wall_seconds", "events_per_second"}) {
    doc["metrics"].erase(key);
    for (auto& run : doc["runs"]) run["metrics"].erase(key);
  }
  return doc;
}

// A simulated mean agrees with theory: within twice its 95% half-width, and that interval is narrow enough
// (under 10% of the theory) for the agreement to say something.
inline void expect_within_ci(const Summary& simulated, double theory) {
  EXPECT_NEAR(simulated.mean, theory, 2 * simulated.ci95)
      << "simulated " << simulated.mean << " ± " << simulated.ci95 << ", theory " << theory;
  EXPECT_LT(simulated.ci95, 0.1 * theory) << "the interval is too wide to say anything";
}

}  // namespace qlab::sim::testing
