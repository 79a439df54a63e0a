// The simulator forgets the fates of settled messages that nothing names any more (MessageLedger::forget_below),
// so that fates which alternate (losses among processed messages) do not cost memory per message. Forgetting
// must change no result: every design that allows it runs a scenario full of alternating fates, crashes and
// redeliveries with and without tracing (which keeps every fate) and must give the same metrics.
#include <gtest/gtest.h>

#include <string>

#include "queues/design_registry.hpp"
#include "sim/simulation.hpp"
#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

// 30% of publishes and 5% of deliveries lost on the network, consumers crashing and stalling: well over
// the 4,096 retired runs at which the engine starts forgetting.
constexpr const char* kAlternatingFates = R"(
name: forgetting
seed: 7
duration: 30s
network: {latency: {dist: exponential, mean: 1ms}}
producers: [{rate: 1000/s}]
consumers: [{count: 12, service: {dist: exponential, mean: 10ms}}]
faults:
  - {at: 0s, action: drop, hop: producer->broker, p: 0.3, duration: 1000s}
  - {at: 0s, action: drop, hop: broker->consumer, p: 0.05, duration: 1000s}
  - {every: {dist: exponential, mean: 3s}, action: crash, target: any consumer, restart_after: 1s}
  - {every: {dist: exponential, mean: 5s}, action: stall, target: any consumer, duration: 500ms}
)";

TEST(Forgetting, ForgottenFatesChangeNoResultOfAnyDesign) {
  for (const DesignInfo& design : designs()) {
    SCOPED_TRACE(design.name);
    const Scenario scenario = testing::scenario_from(kAlternatingFates, {{"queue.design", design.name}});
    SimulationOptions tracing;
    tracing.trace = true;
    const RunResult forgetting = simulate(scenario, 0);
    const RunResult keeping = simulate(scenario, 0, tracing);
    EXPECT_GT(forgetting.metric("lost_network_publish").value(), 8000);
    EXPECT_EQ(testing::model_metrics({forgetting}), testing::model_metrics({keeping}));
  }
}

}  // namespace
}  // namespace qlab::sim
