// Autoscaled consumer groups in the simulator: a burst makes the group grow and then shrink back, the time
// series records the count, cost is consumer_seconds, and nothing is lost or duplicated by scaling.
#include <cmath>
#include <algorithm>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::scenario_from;

// 10/s, a burst of 60/s from 60s to 120s, then 10/s until 300s; consumers serve 100ms each (10/s apiece).
std::string burst(const std::string& autoscale) {
  return "name: burst\nseed: 3\nduration: 300s\nmetrics:\n  interval: 1s\nproducers:\n"
         "  - rate: {steps: [{at: 0s, rate: 10/s}, {at: 60s, rate: 60/s}, {at: 120s, rate: 10/s}]}\n"
         "consumers:\n  - name: workers\n    service: {dist: exponential, mean: 100ms}\n" + autoscale;
}

double most_alive(const RunResult& run, double from, double to) {
  double most = 0;
  for (const TimeSeriesPoint& p : run.series) {
    if (to_seconds(p.t) >= from && to_seconds(p.t) <= to) most = std::max(most, p.alive_consumers);
  }
  return most;
}

TEST(Autoscaling, ABurstScalesTheGroupUpAndBackDown) {
  const RunResult run = run_repetitions(scenario_from(burst(
      "    count: 2\n    autoscale: {min: 2, max: 12, metric: backlog_per_consumer, target: 5, interval: 5s,"
      " scale_down_cooldown: 30s, startup_delay: 2s}\n")))[0];
  EXPECT_EQ(most_alive(run, 0, 59), 2);            // 10/s needs no more than min
  EXPECT_GE(most_alive(run, 60, 130), 7);          // 60/s needs at least 6 busy consumers
  EXPECT_LE(most_alive(run, 0, 400), 12);
  EXPECT_EQ(run.series.back().alive_consumers, 2);  // back to min once the cooldown passed
  EXPECT_EQ(metric(run, "lost"), 0);
  EXPECT_EQ(metric(run, "duplicates"), 0);
  EXPECT_EQ(metric(run, "processed"), metric(run, "published"));
  const double length = metric(run, "duration_simulated");
  EXPECT_GT(metric(run, "consumer_seconds"), 2 * length);   // more than min the whole time
  EXPECT_LT(metric(run, "consumer_seconds"), 12 * length);  // far less than max the whole time
  EXPECT_GE(metric(run, "scale_events"), 2);
}

TEST(Autoscaling, AFixedRangeBehavesAsAFixedGroup) {
  // min = max = count: the policy never acts, so every other metric equals the plain group's.
  const RunResult fixed = run_repetitions(scenario_from(burst("    count: 3\n")))[0];
  const RunResult scaled = run_repetitions(scenario_from(burst(
      "    count: 3\n    autoscale: {min: 3, max: 3, metric: backlog_per_consumer, target: 1, interval: 1s}\n")))[0];
  for (const Metric& m : fixed.metrics) {
    if (m.key == "wall_seconds" || m.key == "events_per_second" || m.key == "events") continue;
    const std::optional<double> value = scaled.metric(m.key);
    ASSERT_TRUE(value) << m.key;
    EXPECT_TRUE(*value == m.value || (std::isnan(*value) && std::isnan(m.value))) << m.key;  // NaN: no samples in both
  }
  EXPECT_FALSE(fixed.metric("consumer_seconds"));
  EXPECT_DOUBLE_EQ(metric(scaled, "consumer_seconds"), 3 * metric(scaled, "duration_simulated"));
  EXPECT_EQ(metric(scaled, "scale_events"), 0);
}

TEST(Autoscaling, LatencyPolicyScalesOnTheP99AndCountsSloViolations) {
  const RunResult run = run_repetitions(scenario_from(burst(
      "    count: 2\n    autoscale: {min: 2, max: 12, metric: latency_p99, target: 500ms, interval: 5s,"
      " scale_down_cooldown: 30s}\n")))[0];
  EXPECT_GE(most_alive(run, 60, 140), 6);
  EXPECT_GT(metric(run, "slo_violation_seconds"), 0);    // the burst outruns the policy for a while
  EXPECT_LT(metric(run, "slo_violation_seconds"), 120);
  EXPECT_EQ(metric(run, "processed"), metric(run, "published"));
}

TEST(Autoscaling, StartupDelayIsPaidForBeforeTheConsumerServes) {
  const std::string policy = "    count: 2\n    autoscale: {min: 2, max: 6, metric: backlog_per_consumer, target: 5, interval: 5s,"
                             " scale_down_cooldown: 1h, startup_delay: ";
  const RunResult quick = run_repetitions(scenario_from(burst(policy + "0s}\n")))[0];
  const RunResult slow = run_repetitions(scenario_from(burst(policy + "20s}\n")))[0];
  // The first scale-up decision comes at 65s; with a 20s delay nobody new is serving before 85s.
  EXPECT_GT(most_alive(quick, 65, 70), 2);
  EXPECT_EQ(most_alive(slow, 0, 84), 2);
  EXPECT_GT(most_alive(slow, 86, 100), 2);
  EXPECT_GT(metric(slow, "latency_p99"), metric(quick, "latency_p99"));
  // The four consumers started at 65s were paid for during their 20s of startup, beyond their time alive.
  double alive = 0;
  for (const ConsumerFigures& c : slow.consumers) alive += to_seconds(c.alive);
  EXPECT_NEAR(metric(slow, "consumer_seconds") - alive, 4 * 20.0, 1e-6);
}

}  // namespace
}  // namespace qlab::sim
