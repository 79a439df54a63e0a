#pragma once
// A benchmark suite (docs: bench/README.md): named runs, each a scenario file with fixed overrides (`set`)
// and a sweep (`sweep` keys and a `zip` block, expanded as a cartesian product). Loading validates the
// suite file and loads the scenario of every point, so nothing runs unless everything is valid; problems
// throw qlab::workloads::ScenarioError as `SUITE:LINE:COLUMN: KEY.PATH: what is wrong (what was expected)`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sweep.hpp"
#include "core/scenario.hpp"

namespace qlab::bench {

// One point of a run: the scenario after the run's overrides and one combination of its sweep.
struct SuitePoint {
  std::string run;
  std::size_t index = 0;        // within the run, in expansion order
  std::string id;               // index as three or more digits: 000, 001, ...
  std::vector<Param> params;    // the run's `set`, then the sweep and zip values of this point
  std::string design;           // queue.design, or preassigned/random when the run sweeps variants of a design
  qlab::Scenario scenario;      // resolved: what runs
  std::uint64_t scenario_hash = 0;
  // runs/<run>/<hash_text(scenario_hash)>, relative to the output folder: keyed by content, so renumbering
  // the points (a sweep value added) leaves every unchanged point's folder where it was.
  std::string folder() const;
  std::string param(const std::string& path) const;  // the value given for `path`, or ""
};

struct SuiteRun {
  std::string name;
  std::string scenario_file;             // as opened: the suite's folder joined with the path written
  std::vector<std::string> swept_paths;  // sweep and zip paths in file order
  std::vector<std::string> set_paths;
  nlohmann::ordered_json plot;           // the run's `plot` map, validated (bench/suite_plot.hpp); null when absent
  std::string claim;                     // what the run is meant to show, for the report; "" when absent
  std::vector<SuitePoint> points;
};

struct Suite {
  std::string file;
  std::string name;
  std::string description;
  std::optional<std::uint32_t> repetitions;  // default for runs; absent: each scenario's own
  std::optional<std::uint64_t> seed;         // absent: each scenario's own
  std::vector<SuiteRun> runs;

  // Every set, swept and zipped path across the runs in order of first appearance, except queue.design
  // (the design column holds it): the parameter columns of results.csv.
  std::vector<std::string> param_columns() const;
  std::vector<const SuitePoint*> points() const;  // every run's points, in suite order
  std::size_t point_count() const;
  std::size_t task_count() const;  // points x repetitions
};

Suite load_suite_file(const std::string& file);
// `file` names the text in messages; scenario paths are relative to its folder.
Suite load_suite_text(const std::string& yaml, const std::string& file);

// Keeps the runs whose name matches `pattern`: a glob (fnmatch) when it has *, ? or [, else a substring.
// Returns how many runs are left.
std::size_t filter_runs(Suite& suite, const std::string& pattern);

// FNV-1a 64 of the resolved scenario's JSON text (scenario_to_json): the identity --resume compares and the
// name of the point's folder.
std::uint64_t scenario_hash(const qlab::Scenario& scenario);
std::uint64_t scenario_hash(const nlohmann::ordered_json& resolved);
std::string hash_text(std::uint64_t hash);  // 16 hex digits

}  // namespace qlab::bench
