#pragma once
// The suite-level files (format: bench/README.md): results.csv (one row per point x repetition),
// comparisons.csv (paired design differences), suite.json (runs, plot maps and points for the plotting
// scripts), and each point's point.json. The CSVs are built from the points' summary.json files, so a
// resumed suite reports every point, whichever call ran it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/results_columns.hpp"
#include "bench/suite.hpp"
#include "metrics/run_result.hpp"

namespace qlab::bench {

// One repetition of a point, as its summary.json records it.
struct RepetitionRow {
  std::uint32_t repetition = 0;
  std::uint64_t seed = 0;
  std::vector<Metric> metrics;  // in the simulator's order
};
using PointRows = std::vector<RepetitionRow>;

// Every point's rows, in suite order (runs, then points). Throws std::runtime_error when a summary is missing.
std::vector<PointRows> read_point_rows(const Suite& suite, const std::filesystem::path& out);

// run,point,design,<result_columns(): parameters, a swept queue map flattened, _si numbers>,repetition,seed,
// <every metric key in order of appearance>
std::string results_csv(const Suite& suite, const std::vector<PointRows>& rows);
// run,<param columns but queue>,baseline,design,metric,mean_difference,ci95,n: within each run, points
// identical but for the design are paired per repetition against the first design listed; timing metrics
// (wall_seconds, events_per_second) are left out. "" when no run has such points.
std::string comparisons_csv(const Suite& suite, const std::vector<PointRows>& rows);
nlohmann::ordered_json suite_json(const Suite& suite);
nlohmann::ordered_json point_json(const SuitePoint& point);

// Writes results.csv, comparisons.csv (or removes a stale one) and suite.json into `out`, and each point's
// point.json where it differs (a point whose folder was kept from an edited suite may have a new number).
// Every point must be complete.
void write_suite_reports(const Suite& suite, const std::filesystem::path& out);
// Removes the suite-level files, so that they exist only while they describe every point.
void remove_suite_reports(const std::filesystem::path& out);


}  // namespace qlab::bench
