#pragma once
// A suite run's `plot` map (how `qlab plot` draws the run; docs: analysis/README.md), validated when the suite
// loads so a typo fails before anything runs: keys, `x` and `at` paths among the run's swept paths, metric keys
// among the ones a run writes, theory models and time-series columns by name.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sweep.hpp"
#include "workloads/node_reader.hpp"

namespace qlab::bench {

// The metric keys of summary.json and results.csv (docs/METRICS.md), in that order.
const std::vector<std::string>& known_metric_keys();

// The plot map as JSON (numbers and booleans typed), or a located ScenarioError. `axes` are the run's sweep and
// zip axes: `x` and the paths of `at` must be among their columns, and an `at` value among that column's values.
nlohmann::ordered_json read_plot_map(const workloads::NodeReader& read, const workloads::Field& field,
                                     const std::vector<Axis>& axes);

}  // namespace qlab::bench
