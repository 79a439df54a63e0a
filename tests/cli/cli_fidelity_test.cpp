// What `qlab run` prints when a metric has no samples or the run has one repetition.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;
using testing::read_file;

TEST(CliFidelity, WarmupThatDiscardsEverythingIsWarnedAboutAndLatencyIsNotApplicable) {
  CliRunner cli;
  cli.write("s.yaml", R"(name: all-warmup
repetitions: 2
producers: [{arrival: batch, messages: 100, at: 0s}]
duration: 10s
warmup: 5s
consumers: [{name: w, service: 10ms}]
)");
  const auto outcome = cli.run("run s.yaml --out out");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.err.find("warning: warmup 5s discards every message"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.out.find("latency_mean                  n/a   (no samples)"), std::string::npos) << outcome.out;
  const auto summary = nlohmann::json::parse(read_file(cli.dir() / "out/summary.json"));
  EXPECT_TRUE(summary["metrics"]["latency_p99"]["mean"].is_null());
  EXPECT_TRUE(summary["runs"][0]["metrics"]["latency_p99"].is_null());
  EXPECT_EQ(summary["metrics"]["unique_processed"]["mean"], 100);
}

}  // namespace
}  // namespace qlab::cli
