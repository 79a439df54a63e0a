#pragma once
// Writes the results files of RESULTS.md for a finished set of repetitions: summary.json,
// timeseries.csv, consumers.csv, histograms.json and, with tracing, messages.csv. Files appear
// atomically (written aside, then renamed), so an interrupted run never leaves a half-written file.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_result.hpp"

namespace qlab {

struct RunInfo {
  std::string mode = "sim";  // or "live"
  std::string scenario;
  std::string design;
  std::uint64_t seed = 0;
  nlohmann::ordered_json scenario_resolved;
};

// The summary.json document: per-metric mean/ci95/min/max over `runs`, then each run's metrics.
nlohmann::ordered_json summary_json(const RunInfo& info, const std::vector<RunResult>& runs);
void write_results(const std::filesystem::path& dir, const RunInfo& info, const std::vector<RunResult>& runs);
// As above, with summary_json(info, runs) already made (the caller prints from it too).
void write_results(const std::filesystem::path& dir, const std::vector<RunResult>& runs, const nlohmann::ordered_json& summary);
// Writes `content` to `path` through a temporary file, synced to disk, and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace qlab
