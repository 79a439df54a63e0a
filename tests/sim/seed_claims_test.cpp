// The two claims qlab exists to measure, as DEVELOPERS.md states them.
#include <gtest/gtest.h>

#include <map>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric_summary;
using testing::scenario_from;

constexpr const char* kHeterogeneous = R"(
name: hetero
seed: 7
repetitions: 4
producers:
  - {arrival: batch, messages: 16000}
consumers:
  - {name: fast, count: 8, service: {dist: exponential, mean: 100ms}}
  - {name: slow, count: 8, service: {dist: exponential, mean: 400ms}}
)";

TEST(PullVersusPreassignment, PullFinishesInTotalWorkOverTotalSpeed) {
  const auto runs = run_repetitions(scenario_from(kHeterogeneous, {{"queue.design", "pull"}}));
  // 16000 messages at 8/0.1s + 8/0.4s = 100 messages per second.
  const Summary makespan = metric_summary(runs, "makespan");
  EXPECT_NEAR(makespan.mean, 160.0, 160.0 * 0.03);
  EXPECT_LT(metric_summary(runs, "idle_with_backlog").mean, 0.01);
}

TEST(PullVersusPreassignment, RoundRobinIsHeldBackBySlowConsumers) {
  const auto pull = run_repetitions(scenario_from(kHeterogeneous, {{"queue.design", "pull"}}));
  const auto preassigned = run_repetitions(
      scenario_from(kHeterogeneous, {{"queue.design", "preassigned"}, {"queue.assignment", "round_robin"}}));
  // Each slow consumer gets 1000 messages at 0.4 s: 400 s against 160 s, a ratio of 2.5.
  const double ratio = metric_summary(preassigned, "makespan").mean / metric_summary(pull, "makespan").mean;
  EXPECT_GT(ratio, 2.3);
  EXPECT_LT(ratio, 2.8);
  EXPECT_GT(metric_summary(preassigned, "idle_with_backlog").mean, 0.3);
}

constexpr const char* kCrashes = R"(
name: crashes
seed: 3
repetitions: 3
duration: 300s
producers:
  - rate: 40/s
consumers:
  - {name: workers, count: 8, prefetch: 4, service: {dist: exponential, mean: 150ms}}
queue: {design: pull}
faults:
  - every: {dist: exponential, mean: 20s}
    action: crash
    target: any consumer
    restart_after: 5s
    until: 280s
)";

TEST(VisibilityTimeout, CrashedConsumersLoseNothing) {
  const auto runs = run_repetitions(
      scenario_from(kCrashes, {{"queue.design", "visibility_timeout"}, {"queue.visibility_timeout", "3s"}}));
  for (const RunResult& run : runs) {
    EXPECT_GT(run.faults.size(), 5u);
    EXPECT_EQ(testing::metric(run, "lost"), 0);
    EXPECT_EQ(testing::metric(run, "remaining"), 0);
    EXPECT_EQ(testing::metric(run, "unique_processed"), testing::metric(run, "published"));
    EXPECT_GT(testing::metric(run, "redeliveries"), 0);
  }
}

TEST(VisibilityTimeout, PullLosesExactlyWhatCrashedConsumersHeld) {
  auto scenario = scenario_from(kCrashes);
  scenario.repetitions = 1;
  RepetitionOptions options;
  options.trace = true;
  const RunResult run = run_repetitions(scenario, options).front();
  ASSERT_GT(testing::metric(run, "lost"), 0);
  // Every lost message was last delivered to a consumer that crashed after that delivery and before
  // it finished; every other message was processed.
  std::map<std::string, std::vector<Time>> crashes;
  for (const FaultWindow& w : run.faults) crashes[w.target].push_back(w.start);
  std::uint64_t lost = 0;
  for (const MessageTrace& m : run.trace) {
    if (m.fate == "processed") continue;
    ASSERT_EQ(m.fate, "lost:consumer_crash") << "message " << m.id;
    ++lost;
    ASSERT_FALSE(m.deliveries.empty());
    const auto [consumer, delivered] = m.deliveries.back();
    const std::string name = "workers[" + std::to_string(consumer) + "]";
    bool crashed_while_holding = false;
    for (Time crash : crashes[name]) crashed_while_holding |= crash >= delivered;
    EXPECT_TRUE(crashed_while_holding) << "message " << m.id << " lost without a crash of " << name;
  }
  EXPECT_EQ(static_cast<double>(lost), testing::metric(run, "lost"));
  EXPECT_EQ(testing::metric(run, "lost"), testing::metric(run, "lost_consumer_crash"));
}

}  // namespace
}  // namespace qlab::sim
