// `qlab run`, `designs` and `--version` through the real executable, checking the files RESULTS.md promises.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;
using testing::read_file;

constexpr const char* kScenario = testing::kSmallScenario;

TEST(CliRun, WritesTheResultsFilesOfTheContract) {
  CliRunner cli;
  cli.write("s.yaml", kScenario);
  const auto outcome = cli.run("run s.yaml --out out --trace");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("latency_p99"), std::string::npos) << outcome.out;

  const auto summary = nlohmann::json::parse(read_file(cli.dir() / "out/summary.json"));
  EXPECT_EQ(summary["mode"], "sim");
  EXPECT_EQ(summary["scenario"], "small");
  EXPECT_EQ(summary["design"], "visibility_timeout");
  EXPECT_EQ(summary["repetitions"], 3);
  EXPECT_EQ(summary["scenario_resolved"]["queue"]["visibility_timeout"], "2s");
  for (const char* key : {"published", "deliveries", "redeliveries", "processed", "unique_processed", "duplicates",
                          "dead_lettered", "lost", "remaining", "latency_mean", "latency_p50", "latency_p90",
                          "latency_p99", "latency_p999", "latency_max", "wait_mean", "wait_p99", "throughput",
                          "makespan", "utilization_mean", "idle_with_backlog", "events", "wall_seconds",
                          "events_per_second"}) {
    ASSERT_TRUE(summary["metrics"].contains(key)) << key;
    for (const char* field : {"mean", "ci95", "min", "max"}) EXPECT_TRUE(summary["metrics"][key].contains(field));
  }
  ASSERT_EQ(summary["runs"].size(), 3u);
  for (const auto& run : summary["runs"]) {
    const auto& m = run["metrics"];
    EXPECT_EQ(m["published"].get<double>(), m["unique_processed"].get<double>() + m["dead_lettered"].get<double>() +
                                                m["lost"].get<double>() + m["remaining"].get<double>());
  }
  EXPECT_TRUE(read_file(cli.dir() / "out/timeseries.csv")
                  .starts_with("repetition,t,backlog,in_flight,published,processed,busy_consumers,alive_consumers,"
                               "backlog_max,in_flight_max\n"));
  EXPECT_TRUE(read_file(cli.dir() / "out/messages.csv").starts_with("repetition,message,published,deliveries,completed,fate,history\n"));
  EXPECT_NE(read_file(cli.dir() / "out/faults.csv").find("crash,w[1],20,25"), std::string::npos);
  const auto histograms = nlohmann::json::parse(read_file(cli.dir() / "out/histograms.json"));
  EXPECT_EQ(histograms["merged"]["latency"]["count"].get<double>(),
            summary["metrics"]["unique_processed"]["mean"].get<double>() * 3);
  for (const auto& entry : std::filesystem::directory_iterator(cli.dir() / "out")) {
    EXPECT_FALSE(entry.path().string().ends_with(".partial")) << entry.path();
  }
}

TEST(CliRun, OverridesAndRepetitionFlagsReachTheResolvedScenario) {
  CliRunner cli;
  cli.write("s.yaml", kScenario);
  const auto outcome = cli.run("run s.yaml --out out --reps 2 --seed 77 --set queue.design=pull --set consumers[0].count=4");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  const auto summary = nlohmann::json::parse(read_file(cli.dir() / "out/summary.json"));
  EXPECT_EQ(summary["design"], "pull");
  EXPECT_EQ(summary["seed"], 77);
  EXPECT_EQ(summary["repetitions"], 2);
  EXPECT_EQ(summary["scenario_resolved"]["consumers"][0]["count"], 4);
  EXPECT_FALSE(summary["scenario_resolved"]["queue"].contains("visibility_timeout"));
}

TEST(CliRun, ThreadCountDoesNotChangeTheResults) {
  CliRunner cli;
  cli.write("s.yaml", kScenario);
  ASSERT_EQ(cli.run("run s.yaml --out one -j 1").exit_code, 0);
  ASSERT_EQ(cli.run("run s.yaml --out two -j 2").exit_code, 0);
  auto one = nlohmann::json::parse(read_file(cli.dir() / "one/summary.json"));
  auto two = nlohmann::json::parse(read_file(cli.dir() / "two/summary.json"));
  for (auto* doc : {&one, &two}) {
    for (const char* key : {"wall_seconds", "events_per_second"}) {
      (*doc)["metrics"].erase(key);
      for (auto& run : (*doc)["runs"]) run["metrics"].erase(key);
    }
  }
  EXPECT_EQ(one.dump(), two.dump());
  EXPECT_EQ(read_file(cli.dir() / "one/timeseries.csv"), read_file(cli.dir() / "two/timeseries.csv"));
}

TEST(CliDesigns, ListsEveryDesignWithItsParameters) {
  CliRunner cli;
  const auto outcome = cli.run("designs");
  ASSERT_EQ(outcome.exit_code, 0);
  for (const char* text : {"pull", "preassigned", "queue.assignment", "visibility_timeout", "queue.visibility_timeout",
                           "default 30s", "queue.max_receives", "queue.stale_ack", "queue.release_on_disconnect"}) {
    EXPECT_NE(outcome.out.find(text), std::string::npos) << text;
  }
}

TEST(CliVersion, PrintsTheProjectVersion) {
  CliRunner cli;
  const auto outcome = cli.run("--version");
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_NE(outcome.out.find("qlab 0.1.0"), std::string::npos) << outcome.out;
}

TEST(CliValidate, AcceptsEveryBundledExample) {
  CliRunner cli;
  const std::string examples = std::string(QLAB_SOURCE_DIR) + "/workloads/examples/";
  const auto outcome = cli.run("validate " + examples + "*.yaml");
  EXPECT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_NE(outcome.out.find("hetero.yaml: ok"), std::string::npos);
}

}  // namespace
}  // namespace qlab::cli
