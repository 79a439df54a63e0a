// burst_drain_time: from the end of a load burst until no message waits. On 4 fast (100ms) and 4 slow
// (300ms) consumers a shared queue drains the burst's backlog at the whole spare capacity; round-robin
// pre-assignment leaves an eighth of it with each slow consumer, which clears it at its own small spare
// rate, so its drain is several times longer. Plain load reports no burst_drain_time.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric_summary;
using testing::scenario_from;

std::string burst(const std::string& queue, const std::string& rate) {
  return "name: burst\nseed: 43\nrepetitions: 5\nduration: 300s\nmetrics:\n  interval: 1s\nqueue: " + queue +
         "\nproducers:\n  - rate: " + rate + "\nconsumers:\n"
         "  - {name: fast, count: 4, service: {dist: exponential, mean: 100ms}}\n"
         "  - {name: slow, count: 4, service: {dist: exponential, mean: 300ms}}\n";
}

constexpr const char* kStep = "{steps: [{at: 0s, rate: 16/s}, {at: 60s, rate: 80/s}, {at: 80s, rate: 16/s}]}";

TEST(BurstDrain, PreassignmentDrainsABurstFarLaterThanASharedQueue) {
  const Summary pull = metric_summary(run_repetitions(scenario_from(burst("{design: pull}", kStep))), "burst_drain_time");
  const Summary preassigned = metric_summary(
      run_repetitions(scenario_from(burst("{design: preassigned, assignment: round_robin}", kStep))), "burst_drain_time");
  EXPECT_GT(pull.min, 0);
  EXPECT_LT(pull.mean + pull.ci95, preassigned.mean - preassigned.ci95);
  EXPECT_GT(preassigned.mean, 3 * pull.mean);
  EXPECT_LT(preassigned.max, 220);  // drained within the run
}

TEST(BurstDrain, PlainLoadHasNoBurstDrainTime) {
  const RunResult run = run_repetitions(scenario_from(burst("{design: pull}", "16/s")))[0];
  EXPECT_FALSE(run.metric("burst_drain_time"));
}

}  // namespace
}  // namespace qlab::sim
