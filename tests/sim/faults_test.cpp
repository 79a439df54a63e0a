// Consumer faults do exactly what docs/FAULTS.md says.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::scenario_from;

const std::string kSteady = R"(
name: faults
producers: [{arrival: constant, rate: 10/s}]
duration: 100s
consumers:
  - {name: w, count: 2, service: 50ms}
)";

TEST(Faults, CrashWithoutRestartKeepsTheConsumerDown) {
  const auto runs = run_repetitions(scenario_from(kSteady + "faults: [{at: 10s, action: crash, target: 'w[1]'}]\n"));
  const RunResult& run = runs[0];
  ASSERT_EQ(run.faults.size(), 1u);
  EXPECT_EQ(run.faults[0].target, "w[1]");
  EXPECT_EQ(run.faults[0].start, 10 * kSecond);
  EXPECT_EQ(run.consumers[1].alive, 10 * kSecond);
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
}

TEST(Faults, CrashWithRestartComesBackAfterTheGivenTime) {
  const auto runs = run_repetitions(
      scenario_from(kSteady + "faults: [{at: 10s, action: crash, target: 'w[1]', restart_after: 30s}]\n"));
  const RunResult& run = runs[0];
  EXPECT_EQ(run.faults[0].end, 40 * kSecond);
  const Time end = static_cast<Time>(metric(run, "duration_simulated") * kSecond);
  EXPECT_EQ(run.consumers[1].alive, end - 30 * kSecond);
  EXPECT_GT(run.consumers[1].processed, 0u);
}

TEST(Faults, StallFreezesTheConsumerAndItResumesWhereItWas) {
  // One consumer, 10 messages/s of 50 ms: a 5 s stall piles up about 50 messages, drained after.
  const auto runs = run_repetitions(scenario_from(R"(
name: stall
producers: [{arrival: constant, rate: 10/s}]
duration: 60s
consumers: [{name: w, service: 50ms}]
faults: [{at: 20s, action: stall, target: w, duration: 5s}]
)"));
  const RunResult& run = runs[0];
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
  // The latency of the message stuck at the start of the stall is about the stall itself.
  EXPECT_GE(metric(run, "latency_max"), 5.0);
  EXPECT_LT(metric(run, "latency_max"), 5.2);
  std::int64_t peak = 0;
  for (const TimeSeriesPoint& p : run.series) peak = std::max(peak, p.backlog_max);
  EXPECT_GE(peak, 40);
}

TEST(Faults, StallLongerThanTheVisibilityTimeoutCausesDuplicates) {
  const auto runs = run_repetitions(scenario_from(R"(
name: late-acks
producers: [{arrival: constant, rate: 2/s}]
duration: 10s
queue: {design: visibility_timeout, visibility_timeout: 1s}
consumers: [{name: w, count: 2, service: 200ms}]
faults: [{at: 600ms, action: stall, target: 'w[0]', duration: 3s}]
)"));
  const RunResult& run = runs[0];
  // The first message (t=0.5s) goes to w[0], the longest waiting. It expires during the stall and is
  // redelivered to the idle w[1], which processes it; w[0] finishes its own copy after resuming, and
  // its late ack is refused as stale.
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
  EXPECT_GE(metric(run, "duplicates"), 1);
  EXPECT_GE(metric(run, "stale_acks"), 1);
  EXPECT_EQ(metric(run, "lost"), 0);
}

TEST(Faults, DrainWaitsForTheCopyAStallOutlastingTheRunStillHolds) {
  const auto runs = run_repetitions(scenario_from(R"(
name: late-copy
producers: [{arrival: constant, rate: 1/s}]
duration: 10s
queue: {design: visibility_timeout, visibility_timeout: 5s}
consumers: [{name: w, count: 2, service: 500ms}]
faults: [{at: 500ms, action: stall, target: 'w[0]', duration: 10s}]
)"));
  const RunResult& run = runs[0];
  // w[0] is handed the first message while frozen; it expires at 6 s and w[1] processes it. Every message is
  // processed once by 10.5 s, but w[0] still holds its copy: it finishes it at 11 s and its ack is stale.
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
  EXPECT_EQ(metric(run, "duplicates"), 1);
  EXPECT_EQ(metric(run, "stale_acks"), 1);
  EXPECT_GE(metric(run, "duration_simulated"), 11.0);
  ASSERT_EQ(run.faults.size(), 1u);
  EXPECT_EQ(run.faults[0].end, 10500 * kMillisecond);  // as scheduled
}

TEST(Faults, FaultWindowsAreWrittenAsScheduledEvenPastTheEndOfTheRun) {
  const auto runs = run_repetitions(scenario_from(R"(
name: long-slow
producers: [{arrival: constant, rate: 1/s}]
duration: 5s
consumers: [{name: w, service: 10ms}]
faults: [{at: 1s, action: slow, target: w, factor: 2, duration: 60s}]
)"));
  ASSERT_EQ(runs[0].faults.size(), 1u);
  EXPECT_LT(metric(runs[0], "duration_simulated"), 10.0);
  EXPECT_EQ(runs[0].faults[0].end, 61 * kSecond);
}

TEST(Faults, MetricsWithoutSamplesAreNotZero) {
  // Both consumers crash for good before the first message: nothing completes.
  const auto runs = run_repetitions(scenario_from(kSteady + "faults: [{at: 10ms, action: crash, target: w}]\n"));
  for (const char* key : {"latency_mean", "latency_p99", "latency_max", "wait_mean", "throughput", "makespan"}) {
    EXPECT_FALSE(has_samples(metric(runs[0], key))) << key;
  }
  EXPECT_EQ(metric(runs[0], "remaining"), metric(runs[0], "published"));
  EXPECT_FALSE(has_samples(metric(run_repetitions(scenario_from(kSteady))[0], "recovery_time")));  // no fault
}

TEST(Faults, WarmupThatDiscardsEveryMessageLeavesLatencyWithoutSamples) {
  const auto runs = run_repetitions(scenario_from(R"(
name: all-warmup
producers: [{arrival: batch, messages: 100, at: 0s}]
duration: 10s
warmup: 5s
consumers: [{name: w, service: 10ms}]
)"));
  EXPECT_GT(metric(runs[0], "unique_processed"), 0);
  EXPECT_FALSE(has_samples(metric(runs[0], "latency_mean")));
  EXPECT_FALSE(has_samples(metric(runs[0], "wait_p99")));
}

TEST(Faults, RecurringFaultsFollowTheirDistributionUntilTheirEnd) {
  const auto runs = run_repetitions(scenario_from(kSteady + R"(faults:
  - {every: 5s, action: stall, target: 'w[0]', duration: 1s, until: 50s}
)"));
  const RunResult& run = runs[0];
  ASSERT_EQ(run.faults.size(), 10u);  // at 5, 10, ..., 50 s
  EXPECT_EQ(run.faults.back().start, 50 * kSecond);
}

TEST(Faults, TimeSeriesHasTwoHundredToAThousandPointsWithoutAnInterval) {
  const auto runs = run_repetitions(scenario_from(kSteady));
  EXPECT_GE(runs[0].series.size(), 200u);
  EXPECT_LE(runs[0].series.size(), 1001u);
  std::int64_t published = 0;
  for (const TimeSeriesPoint& p : runs[0].series) published += p.published;
  EXPECT_EQ(static_cast<double>(published), metric(runs[0], "published"));
}

}  // namespace
}  // namespace qlab::sim
