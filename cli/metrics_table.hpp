#pragma once
// The compact human-readable table `qlab run` prints: the main metrics, mean ± 95% CI over repetitions.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qlab::cli {

// `metrics` is summary.json's "metrics" object over `repetitions` repetitions. A confidence interval is n/a
// with one repetition, and shown as "< bucket width" for a percentile every repetition put in one bucket.
std::string format_metrics_table(const nlohmann::ordered_json& metrics, std::size_t repetitions);
// A value of metric `key` with its unit: "1.23 ms", "16000", "42.0 %", "7.19 /s".
std::string format_metric_value(const std::string& key, double value);
// The keys of the main metrics that table shows, in its order.
std::vector<std::string> main_metric_keys();

}  // namespace qlab::cli
