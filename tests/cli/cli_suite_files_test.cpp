// Issue 11 (CLI): `qlab validate` recognises suite files and validates every point; `qlab suite --dry-run`
// lists the points and the estimated run time and runs nothing.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;

constexpr const char* kSweptScenario =
    "name: tiny\nseed: 3\nrepetitions: 2\nduration: 20s\nproducers: [{rate: 20/s}]\n"
    "consumers: [{count: 2, service: {dist: exponential, mean: 50ms}}]\n";
constexpr const char* kTwoByTwoSuite =
    "name: small\nruns:\n  - name: load\n    scenario: s.yaml\n    sweep:\n      queue.design: [pull, preassigned]\n"
    "      producers[0].rate: [10/s, 20/s]\n";

// A scratch folder with the scenario (s.yaml) and a suite sweeping it (suite.yaml).
class SuiteFolder : public ::testing::Test {
 protected:
  SuiteFolder() {
    cli.write("s.yaml", kSweptScenario);
    cli.write("suite.yaml", kTwoByTwoSuite);
  }
  CliRunner cli;
};

using CliValidateSuite = SuiteFolder;
using CliSuiteDryRun = SuiteFolder;

TEST_F(CliValidateSuite, ASuiteFileIsValidatedPointByPoint) {
  const auto ok = cli.run("validate suite.yaml s.yaml");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "suite.yaml: ok (suite small: 1 runs, 4 points, 8 repetitions)\ns.yaml: ok (scenario tiny, design pull)\n");
  cli.write("bad.yaml", std::string(kTwoByTwoSuite) + "      consumers[0].count: [1, 0]\n");
  const auto bad = cli.run("validate bad.yaml");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.substr(0, 13), "bad.yaml:8:7:") << bad.err;
  EXPECT_NE(bad.err.find("value 0 is rejected by s.yaml: consumers[0].count"), std::string::npos) << bad.err;
}

TEST_F(CliSuiteDryRun, ListsEveryPointAndTheEstimateAndRunsNothing) {
  const auto dry = cli.run("suite suite.yaml --out out --dry-run -j 2");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_FALSE(std::filesystem::exists(cli.dir() / "out"));
  EXPECT_NE(dry.out.find("suite small: 1 runs, 4 points, 8 repetitions (dry run"), std::string::npos) << dry.out;
  for (const char* point : {"load/000 pull (queue.design=pull, producers[0].rate=10/s)", "load/003 preassigned (queue.design=preassigned, producers[0].rate=20/s)"}) {
    EXPECT_NE(dry.out.find(point), std::string::npos) << point << "\n" << dry.out;
  }
  // 10/s and 20/s for 20 s: 200 and 400 messages per repetition.
  EXPECT_NE(dry.out.find("2 reps x 200 messages"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("2 reps x 400 messages"), std::string::npos) << dry.out;
  EXPECT_TRUE(std::regex_search(dry.out, std::regex("estimated run time: [0-9.]+ s with 2 threads \\(2\\.4e\\+03 messages in all\\)")))
      << dry.out;
  // The real run counts the same points and repetitions.
  const auto real = cli.run("suite suite.yaml --out out -j 2");
  EXPECT_EQ(real.exit_code, 0) << real.err;
  EXPECT_NE(real.out.find("1 runs, 4 points, 8 repetitions"), std::string::npos) << real.out;
}

}  // namespace
}  // namespace qlab::cli
