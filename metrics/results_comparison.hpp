#pragma once
// Two results folders side by side (sim/sim, sim/live, live/live): their summary.json metric by metric, with
// 95% confidence intervals of each side and of the difference, and whether the two runs ran the same scenario.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlab {

// One side's value of one metric.
struct SideValue {
  std::optional<double> mean;  // absent when that run could not measure the metric (then `reason` says why)
  double ci95 = 0;             // summary.json's half-width; meaningful when n >= 2
  std::size_t n = 0;           // per-repetition values found in summary.json "runs"
  std::string reason;
};

struct MetricComparison {
  std::string key;
  SideValue a;
  SideValue b;
  std::optional<double> difference;       // b - a, when both sides measured it
  std::optional<double> difference_ci95;  // Welch half-width, when both sides have >= 2 repetitions
  double welch_df = 0;                    // degrees of freedom of the interval (n - 1 when paired)
  bool paired = false;                     // the interval is of per-repetition differences (same seeds)
  std::optional<double> relative;         // (b - a) / |a|; absent when a is 0 or unmeasured
  bool significant = false;               // the difference's 95% CI excludes 0
};

// A key of the resolved scenarios whose values differ; a value is "(absent)" on the side that lacks the key.
struct ScenarioDifference {
  std::string path;  // e.g. "duration", "queue.design", "producers[0].rate"
  std::string a;
  std::string b;
};

struct ResultsComparison {
  std::vector<MetricComparison> rows;
  std::vector<std::string> only_in_a;  // metrics the other summary lacks altogether
  std::vector<std::string> only_in_b;
  std::vector<ScenarioDifference> scenario_differences;  // grounds to refuse the comparison
  std::vector<std::string> warnings;                      // worth saying, no grounds to refuse
};

// Differences between two "scenario_resolved" objects, ignoring the mode-specific `live` block (time scale,
// hosts, rate search, clock offsets) and `repetitions` (which may differ between the two runs).
std::vector<ScenarioDifference> scenario_differences(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b);

// How the difference's CI is computed. `independent`: Welch, for runs with unrelated seeds. `by_seed`: when
// both summaries' repetitions ran with the same seeds in the same order (common random numbers), the t
// interval of the per-repetition differences, which removes the noise both runs share; otherwise Welch, with
// a warning.
enum class Pairing { independent, by_seed };

// Every metric both summaries have (in a's order), or only `keys` when given. Throws std::invalid_argument
// when a summary lacks "metrics" or a requested key is in neither.
ResultsComparison compare_results(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b,
                                  const std::vector<std::string>& keys = {}, Pairing pairing = Pairing::independent);

}  // namespace qlab
