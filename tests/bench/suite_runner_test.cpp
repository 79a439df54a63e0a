// Running suites for real on the tiny scenario: determinism across --jobs, --resume, a clean stop.
#include "bench/suite_runner.hpp"

#include <gtest/gtest.h>

#include "suite_files.hpp"

namespace qlab::bench {
namespace {

using SuiteRunning = testing::SuiteFiles;
using testing::kTinySuite;

// results.csv with the wall-clock columns blanked: the only values that may differ between runs.
std::string without_timing(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::string out;
  std::vector<bool> timing;
  std::size_t start = 0;
  bool header = true;
  while (start < csv.size()) {
    const std::size_t end = csv.find('\n', start);
    const std::string line = csv.substr(start, end - start);
    start = end + 1;
    std::size_t from = 0;
    for (std::size_t column = 0;; ++column) {
      const std::size_t comma = line.find(',', from);
      const std::string field = line.substr(from, comma - from);
      if (header) timing.push_back(field == "wall_seconds" || field == "events_per_second");
      out += column < timing.size() && timing[column] && !header ? "-" : field;
      if (comma == std::string::npos) break;
      out += ',';
      from = comma + 1;
    }
    out += '\n';
    header = false;
  }
  return out;
}

TEST_F(SuiteRunning, WritesAFolderPerPointAndTheSuiteFiles) {
  const Suite suite = load(kTinySuite);
  const SuiteOutcome outcome = run(suite, "out", 2);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(outcome.points_run, 6u);
  EXPECT_EQ(outcome.tasks_run, 18u);
  for (const char* file : {"summary.json", "point.json", "timeseries.csv", "histograms.json", "consumers.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out/runs/tiny/003" / file)) << file;
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/runs/zipped/001/summary.json"));
  for (const char* file : {"results.csv", "comparisons.csv", "suite.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / file)) << file;
  }
  const std::string point = read(dir_ / "out/runs/tiny/003/point.json");
  EXPECT_NE(point.find("\"consumers[1].service.mean\": \"40ms\""), std::string::npos) << point;
  EXPECT_NE(point.find("\"consumers[1].service.mean\": 0.04"), std::string::npos) << point;  // numeric, seconds
  EXPECT_NE(point.find("\"scenario_hash\": \"" + hash_text(suite.runs[0].points[3].scenario_hash) + "\""), std::string::npos);
}

TEST_F(SuiteRunning, ResultsAreIdenticalWhateverTheNumberOfJobs) {
  const Suite suite = load(kTinySuite);
  run(suite, "one", 1);
  run(suite, "two", 2);
  EXPECT_EQ(without_timing(read(dir_ / "one/results.csv")), without_timing(read(dir_ / "two/results.csv")));
  for (const char* file : {"comparisons.csv", "suite.json", "runs/tiny/002/timeseries.csv", "runs/tiny/002/histograms.json",
                           "runs/zipped/000/consumers.csv", "runs/zipped/000/point.json"}) {
    EXPECT_EQ(read(dir_ / "one" / file), read(dir_ / "two" / file)) << file;
  }
}

TEST_F(SuiteRunning, ResumeSkipsPointsAlreadyDoneForTheSameScenario) {
  Suite suite = load(kTinySuite);
  run(suite, "out", 2);
  const std::string first = read(dir_ / "out/results.csv");

  const SuiteOutcome again = run(suite, "out", 2, true);
  EXPECT_EQ(again.tasks_run, 0u);
  EXPECT_EQ(again.points_skipped, 6u);
  EXPECT_FALSE(again.interrupted);
  EXPECT_EQ(read(dir_ / "out/results.csv"), first);  // rebuilt from the points' summaries

  // A changed scenario (here: the zipped run's fixed count) reruns only the points it changes.
  std::string changed = kTinySuite;
  changed.replace(changed.find("consumers[0].count: 3"), 21, "consumers[0].count: 4");
  suite = load(changed);
  const SuiteOutcome partial = run(suite, "out", 2, true);
  EXPECT_EQ(partial.points_skipped, 4u);
  EXPECT_EQ(partial.points_run, 2u);
  EXPECT_EQ(partial.tasks_run, 6u);
}

TEST_F(SuiteRunning, AFolderWithoutSummaryIsNotComplete) {
  const Suite suite = load(kTinySuite);
  run(suite, "out", 1);
  std::filesystem::remove(dir_ / "out/runs/tiny/001/summary.json");
  const SuiteOutcome again = run(suite, "out", 1, true);
  EXPECT_EQ(again.points_run, 1u);
  EXPECT_EQ(again.tasks_run, 3u);
}

TEST_F(SuiteRunning, AStopRequestLeavesOnlyCompletePointsAndNoSuiteFiles) {
  const Suite suite = load(kTinySuite);
  std::atomic<bool> stop{false};
  std::size_t points_seen = 0;
  SuiteOptions options = options_for("out", 1);
  options.stop = &stop;
  options.on_point = [&](const SuitePoint&, const SuiteProgress&) {
    ++points_seen;
    stop = true;
  };
  const SuiteOutcome outcome = run_suite(suite, options);
  EXPECT_TRUE(outcome.interrupted);
  EXPECT_GE(outcome.points_run, 1u);
  EXPECT_LT(outcome.points_run, 6u);
  EXPECT_EQ(points_seen, outcome.points_run);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/results.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/suite.json"));
  std::size_t summaries = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_ / "out")) {
    EXPECT_NE(entry.path().extension(), ".partial") << entry.path();
    if (entry.path().filename() == "summary.json") ++summaries;
  }
  EXPECT_EQ(summaries, outcome.points_run);

  const SuiteOutcome resumed = run(suite, "out", 2, true);
  EXPECT_EQ(resumed.points_skipped, outcome.points_run);
  EXPECT_FALSE(resumed.interrupted);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/results.csv"));
}

TEST_F(SuiteRunning, ProgressCountsEveryTask) {
  const Suite suite = load(kTinySuite);
  SuiteProgress last;
  SuiteOptions options = options_for("out", 2);
  options.on_progress = [&](const SuiteProgress& p) { last = p; };
  run_suite(suite, options);
  EXPECT_EQ(last.tasks_done, 18u);
  EXPECT_EQ(last.tasks_total, 18u);
  EXPECT_EQ(last.points_done, 6u);
  EXPECT_EQ(last.points_total, 6u);
}

}  // namespace
}  // namespace qlab::bench
