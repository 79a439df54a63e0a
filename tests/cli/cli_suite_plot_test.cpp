// A suite's `plot` map and `claim` through the real executable: a bad plot key is refused when the suite loads,
// before anything runs, with FILE:LINE:COL and exit code 2; a good one reaches suite.json with the claim.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;

constexpr const char* kRun = "name: s\nruns:\n  - scenario: s.yaml\n    sweep:\n      producers[0].rate: [5/s, 10/s]\n";

// qlab suite on the run above with `plot` lines appended: refused with exit code 2 and nothing written; its stderr.
std::string refusal(const std::string& plot) {
  CliRunner cli;
  cli.write("s.yaml", testing::kTinyScenario);
  cli.write("suite.yaml", std::string(kRun) + plot);
  const auto outcome = cli.run("suite suite.yaml --out out");
  EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
  EXPECT_FALSE(std::filesystem::exists(cli.dir() / "out"));
  return outcome.err;
}

TEST(CliSuitePlot, AnXThatIsNotSweptIsRefusedWithItsPlaceBeforeAnythingRuns) {
  EXPECT_EQ(refusal("    plot:\n      x: producers[0].count\n"),
            "qlab: suite.yaml:7:10: runs[0].plot.x: x 'producers[0].count' is not swept in this run (expected one of "
            "producers[0].rate)\n");
}

TEST(CliSuitePlot, AnUnknownMetricIsRefusedWithItsPlace) {
  const std::string err = refusal("    plot:\n      metrics: [throughput, makespam]\n");
  EXPECT_TRUE(err.starts_with("qlab: suite.yaml:7:29: runs[0].plot.metrics[1]: unknown metric 'makespam' (did you "
                              "mean 'makespan'?"))
      << err;
}

TEST(CliSuitePlot, TheClaimAndTheCheckedPlotMapReachSuiteJson) {
  CliRunner cli;
  cli.write("s.yaml", testing::kTinyScenario);
  cli.write("suite.yaml", std::string(kRun) + "    claim: twice the rate, twice the throughput\n    plot: {x: 'producers[0].rate', "
                                               "metrics: [throughput], log_x: true}\n");
  const auto outcome = cli.run("suite suite.yaml --out out -j 1");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  std::ifstream in(cli.dir() / "out" / "suite.json");
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["runs"][0]["claim"], "twice the rate, twice the throughput");
  EXPECT_EQ(doc["runs"][0]["plot"]["x"], "producers[0].rate");
  EXPECT_EQ(doc["runs"][0]["plot"]["log_x"], true);
}

}  // namespace
}  // namespace qlab::cli
