// Per-group metrics of a simulated run (summary.json groups) against their totals and queueing theory.
#include <gtest/gtest.h>

#include "metrics/group_figures.hpp"
#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::scenario_from;

double group_value(const std::vector<GroupFigures>& groups, const std::string& name, const std::string& key) {
  const std::optional<double> value = qlab::group_metric(groups, name, key);
  EXPECT_TRUE(value.has_value()) << "no " << key << " for group " << name;
  return value.value_or(-1);
}

TEST(GroupMetrics, ProducerGroupsSplitTheTotalsAndEachSeesTheMM1Sojourn) {
  // Two Poisson groups (0.3/s and 0.5/s) into one exponential server of mean 1s: M/M/1 at 0.8, and by
  // PASTA each group's messages see the same mean time in system, 1 / (mu - lambda) = 5s.
  const auto runs = run_repetitions(scenario_from(
      "name: groups\nseed: 21\nrepetitions: 8\nduration: 40000s\nwarmup: 2000s\n"
      "producers:\n  - {name: small, rate: 0.3/s}\n  - {name: large, rate: 0.5/s}\n"
      "consumers:\n  - {name: server, service: {dist: exponential, mean: 1s}}\n"));
  for (const std::string group : {"small", "large"}) {
    std::vector<double> latency;
    for (const RunResult& run : runs) latency.push_back(group_value(run.producer_groups, group, "latency_mean"));
    const Summary s = summarize(latency);
    EXPECT_NEAR(s.mean, 5.0, 2 * s.ci95) << group << ": " << s.mean << " ± " << s.ci95;
    EXPECT_LT(s.ci95, 0.5) << group;
  }
  for (const RunResult& run : runs) {
    EXPECT_EQ(group_value(run.producer_groups, "small", "published") + group_value(run.producer_groups, "large", "published"),
              run.metric("published").value());
    EXPECT_NEAR(group_value(run.producer_groups, "small", "throughput") + group_value(run.producer_groups, "large", "throughput"),
                run.metric("throughput").value(), 1e-9);
    EXPECT_EQ(group_value(run.consumer_groups, "server", "processed"), run.metric("processed").value());
    EXPECT_DOUBLE_EQ(group_value(run.consumer_groups, "server", "utilization"), run.metric("utilization_mean").value());
  }
}

TEST(GroupMetrics, ASingleProducerGroupCarriesTheTotals) {
  const RunResult run = run_repetitions(scenario_from(
      "name: one\nseed: 2\nrepetitions: 1\nduration: 500s\nwarmup: 50s\nproducers:\n  - {name: p, rate: 5/s}\n"
      "consumers:\n  - {name: fast, count: 2, service: 100ms}\n  - {name: slow, count: 2, service: 1s}\n")).front();
  for (const std::string key : {"latency_p50", "latency_p99", "latency_mean", "throughput"}) {
    EXPECT_DOUBLE_EQ(group_value(run.producer_groups, "p", key), run.metric(key).value()) << key;
  }
  // Pull: the fast consumers take most of the work and are less busy than the slow ones.
  EXPECT_GT(group_value(run.consumer_groups, "fast", "processed"), group_value(run.consumer_groups, "slow", "processed"));
  EXPECT_LT(group_value(run.consumer_groups, "fast", "utilization"), group_value(run.consumer_groups, "slow", "utilization"));
  EXPECT_EQ(group_value(run.consumer_groups, "fast", "consumers"), 2);
}

TEST(GroupMetrics, ConsumerGroupsCountTheirCrashes) {
  const RunResult run = run_repetitions(scenario_from(
      "name: crashes\nseed: 4\nrepetitions: 1\nduration: 100s\nproducers:\n  - rate: 1/s\n"
      "consumers:\n  - {name: a, count: 2, service: 10ms}\n  - {name: b, service: 10ms}\n"
      "faults:\n  - {at: 10s, action: crash, target: 'a[1]', restart_after: 1s}\n"
      "  - {at: 20s, action: crash, target: 'a[0]', restart_after: 1s}\n")).front();
  EXPECT_EQ(group_value(run.consumer_groups, "a", "crashes"), 2);
  EXPECT_EQ(group_value(run.consumer_groups, "b", "crashes"), 0);
}

TEST(GroupMetrics, SummaryJsonSummarizesEachGroupOverTheRuns) {
  const auto runs = run_repetitions(scenario_from(
      "name: json\nseed: 3\nrepetitions: 3\nduration: 100s\nproducers:\n  - {name: x, rate: 1/s}\n  - {name: y, rate: 2/s}\n"
      "consumers:\n  - {name: w, service: 10ms}\n"));
  const nlohmann::ordered_json groups = groups_json(runs);
  std::vector<double> y;
  for (const RunResult& run : runs) y.push_back(group_value(run.producer_groups, "y", "published"));
  EXPECT_DOUBLE_EQ(groups["producers"]["y"]["published"]["mean"].get<double>(), summarize(y).mean);
  EXPECT_TRUE(groups["producers"].contains("x"));
  EXPECT_TRUE(groups["consumers"]["w"].contains("utilization"));
}

}  // namespace
}  // namespace qlab::sim
