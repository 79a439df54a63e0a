// The simulator draws each entity's numbers from the stream named after it (core/random_stream.hpp), however
// it derives them: here the network latencies of a producer's publish and of a consumer's pull and delivery.
#include <algorithm>

#include <gtest/gtest.h>

#include "sim/simulation.hpp"
#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

TEST(EntityStreams, NetworkLatenciesComeFromTheStreamsNamedAfterTheirEntities) {
  const Scenario scenario = testing::scenario_from(R"(
name: streams
seed: 11
network: {latency: {dist: exponential, mean: 10ms}}
queue: {design: visibility_timeout}
producers: [{name: web, arrival: batch, messages: 1}]
consumers: [{name: workers, service: 1s}]
)");
  SimulationOptions options;
  options.trace = true;
  const RunResult run = simulate(scenario, 0, options);

  // At 0 the producer publishes its message and the consumer sends its pull; the broker delivers when it
  // has both, and the delivery reaches the consumer one more hop later.
  const std::uint64_t seed = repetition_seed(scenario.seed, 0);
  const Distribution& latency = scenario.network.latency;
  RandomStream publish_hop = RandomStream::derive(seed, "producer/web/0/network");
  RandomStream pull_hop = RandomStream::derive(seed, "consumer/workers/0/network-out");
  RandomStream delivery_hop = RandomStream::derive(seed, "consumer/workers/0/network-in");
  const Time delivered = std::max(latency.sample(publish_hop), latency.sample(pull_hop));
  const Time started = delivered + latency.sample(delivery_hop);

  ASSERT_EQ(run.trace.size(), 1u);
  const MessageTrace& message = run.trace.front();
  ASSERT_EQ(message.deliveries.size(), 1u);
  EXPECT_EQ(message.deliveries.front().first, 0u);
  EXPECT_EQ(message.deliveries.front().second, delivered);
  const auto start = std::find_if(message.history.begin(), message.history.end(),
                                  [](const auto& entry) { return entry.second == "start:workers[0]"; });
  ASSERT_NE(start, message.history.end());
  EXPECT_EQ(start->first, started);
  EXPECT_EQ(message.fate, "processed");
}

}  // namespace
}  // namespace qlab::sim
