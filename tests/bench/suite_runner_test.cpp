// Running suites for real on the tiny scenario: determinism across --jobs, --resume, a clean stop.
#include "bench/suite_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "bench/suite_reports.hpp"

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

// A JSON document with the wall-clock metrics nulled, wherever they appear.
std::string json_without_timing(const std::string& text) {
  auto doc = nlohmann::ordered_json::parse(text);
  const std::function<void(nlohmann::ordered_json&)> blank = [&](nlohmann::ordered_json& node) {
    if (!node.is_structured()) return;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.is_object() && (it.key() == "wall_seconds" || it.key() == "events_per_second")) {
        *it = nullptr;
      } else {
        blank(*it);
      }
    }
  };
  blank(doc);
  return doc.dump(2);
}

// Every file below `folder`, relative to it, sorted.
std::vector<std::string> files_below(const std::filesystem::path& folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(folder).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The two folders hold the same files with the same bytes, the wall-clock metrics aside.
void expect_same_results(const std::filesystem::path& a, const std::filesystem::path& b) {
  const std::vector<std::string> files = files_below(a);
  ASSERT_EQ(files, files_below(b));
  EXPECT_GT(files.size(), 3u);
  for (const std::string& file : files) {
    const std::string x = testing::read_text(a / file);
    const std::string y = testing::read_text(b / file);
    if (file == "results.csv") {
      EXPECT_EQ(without_timing(x), without_timing(y)) << file;
    } else if (file.ends_with("summary.json")) {
      EXPECT_EQ(json_without_timing(x), json_without_timing(y)) << file;
    } else {
      EXPECT_EQ(x, y) << file;
    }
  }
}

TEST_F(SuiteRunning, WritesAFolderPerPointAndTheSuiteFiles) {
  const Suite suite = load(kTinySuite);
  const SuiteOutcome outcome = run(suite, "out", 2);
  EXPECT_FALSE(outcome.interrupted);
  EXPECT_EQ(outcome.points_run, 6u);
  EXPECT_EQ(outcome.tasks_run, 18u);
  const std::filesystem::path folder = dir_ / "out" / suite.runs[0].points[3].folder();
  EXPECT_EQ(suite.runs[0].points[3].folder(), "runs/tiny/" + hash_text(suite.runs[0].points[3].scenario_hash));
  for (const char* file : {"summary.json", "point.json", "timeseries.csv", "histograms.json", "consumers.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(folder / file)) << file;
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / suite.runs[1].points[1].folder() / "summary.json"));
  for (const char* file : {"results.csv", "comparisons.csv", "suite.json"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ / "out" / file)) << file;
  }
  const std::string point = read(folder / "point.json");
  EXPECT_NE(point.find("\"consumers[1].service.mean\": \"40ms\""), std::string::npos) << point;
  EXPECT_NE(point.find("\"consumers[1].service.mean\": 0.04"), std::string::npos) << point;  // numeric, seconds
  EXPECT_NE(point.find("\"scenario_hash\": \"" + hash_text(suite.runs[0].points[3].scenario_hash) + "\""), std::string::npos);
}

TEST_F(SuiteRunning, ResultsAreIdenticalWhateverTheNumberOfJobs) {
  const Suite suite = load(kTinySuite);
  run(suite, "one", 1);
  run(suite, "two", 2);
  EXPECT_EQ(without_timing(read(dir_ / "one/results.csv")), without_timing(read(dir_ / "two/results.csv")));
  const std::string tiny = suite.runs[0].points[2].folder();
  const std::string zipped = suite.runs[1].points[0].folder();
  for (const std::string& file : {std::string("comparisons.csv"), std::string("suite.json"), tiny + "/timeseries.csv",
                                  tiny + "/histograms.json", zipped + "/consumers.csv", zipped + "/point.json"}) {
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

TEST_F(SuiteRunning, AddingASweepValueRerunsOnlyTheNewPoints) {
  run(load(kTinySuite), "out", 2);
  std::string edited = kTinySuite;
  edited.replace(edited.find("[20ms, 40ms]"), 12, "[20ms, 30ms, 40ms]");  // renumbers the points after 000
  const Suite suite = load(edited);
  const SuiteOutcome resumed = run(suite, "out", 2, true);
  EXPECT_EQ(resumed.points_total, 8u);
  EXPECT_EQ(resumed.points_run, 2u);  // 30ms, for each design
  EXPECT_EQ(resumed.points_skipped, 6u);
  // Identical to a fresh run of the edited suite, point.json numbers included.
  run(suite, "fresh", 2);
  expect_same_results(dir_ / "fresh", dir_ / "out");
}

TEST_F(SuiteRunning, AnInterruptedResumeLeavesNoSuiteFilesOfTheOldSuite) {
  run(load(kTinySuite), "out", 1);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "out/results.csv"));
  std::string edited = kTinySuite;
  edited.replace(edited.find("[20ms, 40ms]"), 12, "[10ms, 20ms, 30ms, 40ms]");
  std::atomic<bool> stop{false};
  SuiteOptions options = options_for("out", 1, true);
  options.stop = &stop;
  options.on_point = [&](const SuitePoint&, const SuiteProgress&) { stop = true; };
  EXPECT_TRUE(run_suite(load(edited), options).interrupted);
  for (const char* file : {"results.csv", "comparisons.csv", "suite.json"}) {
    EXPECT_FALSE(std::filesystem::exists(dir_ / "out" / file)) << file;
  }
}

TEST_F(SuiteRunning, ShardsSplitThePointsRoundRobinAcrossRuns) {
  const Suite suite = load(kTinySuite);
  SuiteOptions options = options_for("out", 2);
  options.shard = Shard{2, 4};
  const SuiteOutcome outcome = run_suite(suite, options);
  // Points in suite order: tiny 000..003, zipped 000..001. Shard 2 of 4 has numbers 1 and 5.
  EXPECT_EQ(outcome.points_total, 2u);
  EXPECT_EQ(outcome.points_run, 2u);
  EXPECT_FALSE(outcome.interrupted);
  const std::vector<const SuitePoint*> missing = missing_points(suite, dir_ / "out");
  ASSERT_EQ(missing.size(), 4u);
  EXPECT_TRUE(point_is_complete(dir_ / "out", suite.runs[0].points[1]));
  EXPECT_TRUE(point_is_complete(dir_ / "out", suite.runs[1].points[1]));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/results.csv"));  // a shard writes no suite-level files
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/suite.json"));
}

TEST_F(SuiteRunning, ShardsMergedGiveTheFilesOfOneLocalRun) {
  const Suite suite = load(kTinySuite);
  for (unsigned i = 1; i <= 4; ++i) {  // more shards than some runs have points
    SuiteOptions options = options_for("sharded", 1);
    options.shard = Shard{i, 4};
    run_suite(suite, options);
  }
  EXPECT_TRUE(missing_points(suite, dir_ / "sharded").empty());
  write_suite_reports(suite, dir_ / "sharded");
  run(suite, "local", 2);
  expect_same_results(dir_ / "local", dir_ / "sharded");
}

TEST_F(SuiteRunning, AFolderWithoutSummaryIsNotComplete) {
  const Suite suite = load(kTinySuite);
  run(suite, "out", 1);
  std::filesystem::remove(dir_ / "out" / suite.runs[0].points[1].folder() / "summary.json");
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
