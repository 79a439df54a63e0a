// `qlab compare A B` through the real executable on results folders written by `qlab run`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "metrics/statistics.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;
using testing::read_file;
using Json = nlohmann::json;

Json json_file(const std::filesystem::path& path) { return Json::parse(read_file(path)); }

// The row of `metric` in a comparison written by --out.
Json row_of(const Json& comparison, const std::string& metric) {
  for (const Json& row : comparison["metrics"]) {
    if (row["metric"] == metric) return row;
  }
  ADD_FAILURE() << metric << " is not in the comparison";
  return Json();
}

std::vector<double> per_run(const Json& summary, const std::string& metric) {
  std::vector<double> values;
  for (const Json& run : summary["runs"]) values.push_back(run["metrics"][metric].get<double>());
  return values;
}

class CliCompare : public ::testing::Test {
 protected:
  void SetUp() override { cli_.write("s.yaml", testing::kSmallScenario); }
  void run(const std::string& out, const std::string& extra = "") {
    const auto outcome = cli_.run("run s.yaml --out " + out + " " + extra);
    ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  }
  CliRunner cli_;
};

TEST_F(CliCompare, SimAgainstSimWithThreeRepetitionsEachShowsWelchIntervals) {
  run("a");
  run("b", "--seed 6");
  run("c", "--seed 6");
  // A different seed is a different scenario: refused, then allowed by --force.
  const auto refused = cli_.run("compare a b");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("seed: 5 (A) vs 6 (B)"), std::string::npos) << refused.err;
  const auto outcome = cli_.run("compare b c --out cmp.json");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.err, "");
  EXPECT_NE(outcome.out.find("A sim (b)"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("B sim (c)"), std::string::npos) << outcome.out;

  const Json comparison = json_file(cli_.dir() / "cmp.json");
  EXPECT_EQ(comparison["a_mode"], "sim");
  EXPECT_EQ(comparison["b_mode"], "sim");
  EXPECT_TRUE(comparison["scenario_differences"].empty());
  const Json summary = json_file(cli_.dir() / "b/summary.json");
  for (const char* metric : {"latency_mean", "throughput", "utilization_mean", "published"}) {
    const Json row = row_of(comparison, metric);
    const WelchInterval welch = welch_interval(per_run(summary, metric), per_run(summary, metric));
    EXPECT_DOUBLE_EQ(row["a"]["mean"].get<double>(), summary["metrics"][metric]["mean"].get<double>()) << metric;
    EXPECT_DOUBLE_EQ(row["a"]["ci95"].get<double>(), summary["metrics"][metric]["ci95"].get<double>()) << metric;
    EXPECT_EQ(row["a"]["n"], 3);
    EXPECT_EQ(row["difference"].get<double>(), 0) << metric;  // the same seed and scenario: the same runs
    EXPECT_GT(welch.ci95, 0) << metric;
    EXPECT_NEAR(row["difference_ci95"].get<double>(), welch.ci95, 1e-12 * welch.ci95) << metric;
    EXPECT_EQ(row["significant"], false) << metric;
  }
  // Units as `qlab run` prints them; "±" before each interval.
  EXPECT_NE(testing::table_line(outcome.out, "latency_mean").find(" ms ± "), std::string::npos) << outcome.out;
  EXPECT_NE(testing::table_line(outcome.out, "throughput").find(" /s ± "), std::string::npos) << outcome.out;
  EXPECT_NE(testing::table_line(outcome.out, "utilization_mean").find(" % ± "), std::string::npos) << outcome.out;
  EXPECT_TRUE(std::regex_search(testing::table_line(outcome.out, "published"), std::regex(R"(  [0-9.]+ ± [0-9.]+  )")))
      << outcome.out;  // a count: no unit
}

TEST_F(CliCompare, ADifferentSetValueIsRefusedNamingTheKey) {
  run("a");
  run("b", "--set duration=30s --set consumers[0].count=4");
  const auto outcome = cli_.run("compare a b --out cmp.json");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("duration: 1m (A) vs 30s (B)"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("consumers[0].count: 3 (A) vs 4 (B)"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("--force"), std::string::npos) << outcome.err;
  EXPECT_EQ(outcome.out, "");
  EXPECT_FALSE(std::filesystem::exists(cli_.dir() / "cmp.json"));
}

TEST_F(CliCompare, ADesignDifferenceIsComparedOnlyWithForceAndALoudWarning) {
  run("a");
  run("b", "--set queue.design=pull --set producers[0].rate=40/s");
  const auto refused = cli_.run("compare a b");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("queue.design: visibility_timeout (A) vs pull (B)"), std::string::npos) << refused.err;

  const auto forced = cli_.run("compare a b --force --out cmp.json --metrics published,latency_mean");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("WARNING: comparing different scenarios"), std::string::npos) << forced.err;
  EXPECT_NE(forced.out.find("WARNING: the scenarios differ"), std::string::npos) << forced.out;
  const Json comparison = json_file(cli_.dir() / "cmp.json");
  EXPECT_EQ(comparison["forced"], true);
  EXPECT_EQ(comparison["metrics"].size(), 2u);
  bool design_named = false;
  for (const Json& d : comparison["scenario_differences"]) design_named = design_named || d["key"] == "queue.design";
  EXPECT_TRUE(design_named) << comparison["scenario_differences"];
  // Twice the rate publishes about twice as many messages: far outside the interval, marked.
  const Json published = row_of(comparison, "published");
  EXPECT_EQ(published["significant"], true);
  EXPECT_GT(published["relative"].get<double>(), 0.5);
  EXPECT_TRUE(testing::table_line(forced.out, "published").find(" *") != std::string::npos) << forced.out;
  EXPECT_NE(forced.out.find("* the 95% CI of the difference (Welch) excludes 0"), std::string::npos);
}

TEST_F(CliCompare, RepetitionsMayDifferWithAWarning) {
  run("a");
  run("b", "--reps 1");
  const auto outcome = cli_.run("compare a b --out cmp.json");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.err.find("warning: the repetitions differ (A 3, B 1)"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("no confidence intervals"), std::string::npos) << outcome.err;
  const Json row = row_of(json_file(cli_.dir() / "cmp.json"), "latency_mean");
  EXPECT_TRUE(row["difference_ci95"].is_null());
  EXPECT_TRUE(row["significant"].is_null());
}

TEST_F(CliCompare, ALiveFolderIsLabelledByItsModeAndItsUnmeasuredMetricsExplained) {
  run("sim");
  // A live summary as live mode writes it: mode "live", the `live` block, one metric it cannot measure
  // written as null with a reason, one the simulator has that live lacks, one of its own.
  Json live = json_file(cli_.dir() / "sim/summary.json");
  live["mode"] = "live";
  live["scenario_resolved"]["live"] = {{"time_scale", 0.1}, {"hosts", "local"}};
  live["metrics"]["wait_p99"] = {{"mean", nullptr}, {"reason", "not recorded at the broker"}};
  live["metrics"].erase("events");
  live["metrics"]["publish_backlog"] = {{"mean", 1}, {"ci95", 0}, {"min", 1}, {"max", 1}};
  for (Json& run : live["runs"]) {
    run["metrics"]["wait_p99"] = nullptr;
    run["metrics"].erase("events");
  }
  std::filesystem::create_directories(cli_.dir() / "live");
  std::ofstream(cli_.dir() / "live/summary.json") << live.dump(2);

  const auto outcome = cli_.run("compare sim live --out cmp.json");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("A sim (sim)"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("B live (live)"), std::string::npos) << outcome.out;
  EXPECT_NE(testing::table_line(outcome.out, "wait_p99").find("n/a"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("not measured in B: wait_p99: not recorded at the broker"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("only in A: events"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("only in B: publish_backlog"), std::string::npos) << outcome.out;

  const Json comparison = json_file(cli_.dir() / "cmp.json");
  const Json wait = row_of(comparison, "wait_p99");
  EXPECT_TRUE(wait["b"]["mean"].is_null());
  EXPECT_EQ(wait["b"]["reason"], "not recorded at the broker");
  EXPECT_TRUE(wait["difference"].is_null());
  EXPECT_EQ(comparison["only_in_a"], Json::array({"events"}));
  // The names older readers use when the modes are sim and live.
  const Json latency = row_of(comparison, "latency_mean");
  EXPECT_EQ(latency["sim"], latency["a"]["mean"]);
  EXPECT_EQ(latency["live"], latency["b"]["mean"]);
}

TEST_F(CliCompare, AFolderWithoutSummaryIsBadInput) {
  run("a");
  const auto outcome = cli_.run("compare a missing");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("missing/summary.json: cannot open"), std::string::npos) << outcome.err;
  cli_.write("bad.json", "{");
  std::filesystem::create_directories(cli_.dir() / "bad");
  std::filesystem::rename(cli_.dir() / "bad.json", cli_.dir() / "bad/summary.json");
  EXPECT_EQ(cli_.run("compare a bad").exit_code, 2);
  EXPECT_EQ(cli_.run("compare a a --metrics no_such_metric").exit_code, 2);
}

}  // namespace
}  // namespace qlab::cli
