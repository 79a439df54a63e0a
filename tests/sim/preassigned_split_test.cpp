// Pre-assignment splits a batch among the scenario's consumers up front, whatever order they join in.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::scenario_from;

TEST(PreassignedSplit, ABatchPublishedBeforeTheConsumersJoinIsSplitAmongAllOfThem) {
  // With network latency the batch reaches the broker while the consumers' joins are still on their way:
  // round robin over the scenario's 8 consumers gives each exactly 200 messages, in any join order.
  const auto runs = run_repetitions(scenario_from(R"(
name: split
seed: 3
repetitions: 3
queue: {design: preassigned}
network: {latency: {dist: exponential, mean: 10ms}}
producers: [{name: batch, arrival: batch, messages: 1600, at: 0s}]
consumers:
  - {name: fast, count: 4, service: {dist: exponential, mean: 100ms}}
  - {name: slow, count: 4, service: {dist: exponential, mean: 400ms}}
)"));
  for (const RunResult& run : runs) {
    ASSERT_EQ(run.consumers.size(), 8u);
    for (const ConsumerFigures& c : run.consumers) EXPECT_EQ(c.processed, 200u) << c.name;
    // The slow group's 200 x 400 ms each: the makespan is theirs (about 80 s plus the spread of the slowest),
    // not one consumer's share of the whole batch.
    EXPECT_LT(metric(run, "makespan"), 110.0);
  }
}

}  // namespace
}  // namespace qlab::sim
