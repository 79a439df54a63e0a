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

constexpr const char* kDeterministic = R"(name: det
repetitions: 3
duration: 10s
producers: [{arrival: constant, rate: 1/s}]
consumers: [{service: 100ms}]
)";

TEST(CliFidelity, OneRepetitionHasNoConfidenceInterval) {
  CliRunner cli;
  cli.write("s.yaml", kDeterministic);
  const auto outcome = cli.run("run s.yaml --reps 1");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(testing::table_line(outcome.out, "published").find(" n/a "), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("one repetition: no confidence interval"), std::string::npos) << outcome.out;
}

TEST(CliFidelity, APercentileEveryRepetitionPutInOneBucketShowsTheBucketWidth) {
  // Every message takes exactly 100 ms: all repetitions' p50 is the same bucket's midpoint. That bucket is
  // 2^19 ns wide (100 ms has 27 significant bits; the histogram keeps 8).
  CliRunner cli;
  cli.write("s.yaml", kDeterministic);
  const auto outcome = cli.run("run s.yaml");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(testing::table_line(outcome.out, "latency_p50").find("< 524 us"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("every repetition fell in the same histogram bucket"), std::string::npos) << outcome.out;
  EXPECT_NE(testing::table_line(outcome.out, "published").find(" 0 "), std::string::npos) << outcome.out;  // counts: a true 0
}

TEST(CliFidelity, ProgressGoesToStderrOnlyAndEndsDone) {
  CliRunner cli;
  cli.write("s.yaml", kDeterministic);
  const auto outcome = cli.run("run s.yaml --progress");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.err.find("qlab run: 3/3 repetitions, 100%"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("elapsed, done\n"), std::string::npos) << outcome.err;
  EXPECT_EQ(outcome.out.find("elapsed"), std::string::npos) << outcome.out;
  // Without --progress and without a terminal, nothing.
  EXPECT_EQ(cli.run("run s.yaml").err, "");
}

TEST(CliFidelity, AMetricWithoutSamplesIsAnEmptyCellOfResultsCsv) {
  CliRunner cli;
  cli.write("det.yaml", kDeterministic);
  cli.write("suite.yaml", "name: s\nrepetitions: 2\nruns:\n  - scenario: det.yaml\n");
  const auto outcome = cli.run("suite suite.yaml --out out");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const std::string csv = read_file(cli.dir() / "out/results.csv");
  const std::string header = csv.substr(0, csv.find('\n'));
  const std::string row = csv.substr(header.size() + 1, csv.find('\n', header.size() + 1) - header.size() - 1);
  // recovery_time has no sample without a fault: its column is empty, the others are numbers.
  const std::size_t named = header.find(",recovery_time,");
  ASSERT_NE(named, std::string::npos) << header;
  std::size_t column = 1;
  for (std::size_t at = 0; at < named; ++at) column += header[at] == ',';
  std::size_t start = 0;
  for (std::size_t c = 0; c < column; ++c) start = row.find(',', start) + 1;
  EXPECT_EQ(row.substr(start, row.find(',', start) - start), "") << header << "\n" << row;
  EXPECT_EQ(row.find(",,", 0), start - 1) << "only that cell is empty: " << row;
}

}  // namespace
}  // namespace qlab::cli
