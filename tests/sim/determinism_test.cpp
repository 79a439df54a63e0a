// Runs are reproducible bit for bit: same scenario and seed, same metrics, whatever the thread count.
#include <gtest/gtest.h>

#include "metrics/results_writer.hpp"
#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

constexpr const char* kScenario = R"(
name: determinism
seed: 99
repetitions: 4
duration: 200s
network: {latency: {dist: uniform, min: 1ms, max: 5ms}}
queue: {design: visibility_timeout, visibility_timeout: 2s}
producers:
  - {name: web, count: 3, rate: 10/s, size: {dist: lognormal, mean: 1KiB, cv: 0.5}}
consumers:
  - {name: fast, count: 3, prefetch: 2, service: {dist: lognormal, mean: 80ms, cv: 1.5}}
  - {name: slow, count: 2, service: {dist: pareto, mean: 300ms, shape: 1.8}}
faults:
  - {every: {dist: exponential, mean: 30s}, action: crash, target: any consumer, restart_after: 4s}
  - {at: 50s, action: stall, target: slow, duration: 5s}
)";

using testing::model_metrics;

TEST(Determinism, SameSeedGivesIdenticalMetricsAcrossRunsAndThreadCounts) {
  const Scenario scenario = testing::scenario_from(kScenario);
  RepetitionOptions one_thread;
  one_thread.threads = 1;
  RepetitionOptions two_threads;
  two_threads.threads = 2;
  const std::string first = model_metrics(run_repetitions(scenario, one_thread)).dump();
  const std::string second = model_metrics(run_repetitions(scenario, two_threads)).dump();
  const std::string third = model_metrics(run_repetitions(scenario, two_threads)).dump();
  EXPECT_EQ(first, second);
  EXPECT_EQ(second, third);
}

TEST(Determinism, DifferentSeedsGiveDifferentRuns) {
  const auto a = run_repetitions(testing::scenario_from(kScenario, {{"seed", "1"}, {"repetitions", "1"}}));
  const auto b = run_repetitions(testing::scenario_from(kScenario, {{"seed", "2"}, {"repetitions", "1"}}));
  EXPECT_NE(testing::metric(a[0], "published"), testing::metric(b[0], "published"));
}

TEST(Determinism, AddingAConsumerGroupLeavesOtherConsumersDrawsAlone) {
  // Per-entity streams: with a batch split round robin, fast[0]'s messages and service draws do not depend
  // on whether another group exists; only its own stream decides its busy time.
  const std::string base = R"(
name: streams
queue: {design: preassigned}
producers: [{arrival: batch, messages: 400}]
consumers:
  - {name: fast, count: 2, service: {dist: exponential, mean: 10ms}}
)";
  const auto alone = run_repetitions(testing::scenario_from(base));
  const auto with_more = run_repetitions(testing::scenario_from(
      base + "  - {name: extra, count: 2, service: {dist: exponential, mean: 10ms}}\n"));
  // fast[0] processes 200 of 400 alone and 100 of 400 with the extra group: the first 100 service draws
  // are the same numbers, so its busy time with the extra group is a prefix of its busy time alone.
  EXPECT_EQ(alone[0].consumers[0].processed, 200u);
  EXPECT_EQ(with_more[0].consumers[0].processed, 100u);
  EXPECT_LT(with_more[0].consumers[0].busy, alone[0].consumers[0].busy);
  const auto first_hundred = run_repetitions(testing::scenario_from(
      base, {{"producers[0].messages", "200"}}));
  EXPECT_EQ(first_hundred[0].consumers[0].busy, with_more[0].consumers[0].busy);
}

}  // namespace
}  // namespace qlab::sim
