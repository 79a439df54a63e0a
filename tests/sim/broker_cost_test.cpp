// The broker's cost (`broker:`) and the network's bandwidth against exact and queueing-theory expectations.
// Statistical checks accept the theory when it lies within twice the 95% confidence half-width of the mean
// over independent repetitions (a ~99.9% interval), as queueing_theory_test.cpp does.
#include <cmath>
#include <gtest/gtest.h>

#include "sim_test_support.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::sim {
namespace {

using testing::expect_within_ci;
using testing::metric_summary;
using testing::scenario_from;

// Poisson publishes at `rate`/s of `size` into a broker with `broker`; one consumer that takes one message and
// then never finishes, so the broker's only work is the publishes: a single queue with Poisson arrivals.
std::string publishes_only(const std::string& rate, const std::string& size, const std::string& broker) {
  return "name: broker\nseed: 5\nrepetitions: 8\nduration: 120s\nwarmup: 10s\ndrain: false\n"
         "producers:\n  - rate: " + rate + "\n    size: " + size + "\n"
         "consumers:\n  - service: 100000s\nbroker: " + broker + "\n";
}

TEST(BrokerCost, UtilizationIsArrivalRateTimesCost) {
  // Pull: each message costs the broker a publish and a delivery (per_message + per_byte x 100B each) and the
  // consumer's ack/pull reply (per_message): 3 x 100us + 2 x 100 x 1ns = 300.2us.
  const auto runs = run_repetitions(scenario_from(
      "name: cost\nseed: 3\nrepetitions: 8\nduration: 100s\nwarmup: 10s\nproducers:\n  - rate: 1000/s\n    size: 100B\n"
      "consumers:\n  - count: 4\n    service: 100us\nbroker: {per_message: 100us, per_byte: 1ns, threads: 1}\n"));
  expect_within_ci(metric_summary(runs, "broker_utilization"), 1000 * 300.2e-6);
}

TEST(BrokerCost, ReplicationCostsOneSendPerNode) {
  // Replicated over 3 nodes: a publish costs the broker 3 sends (its own and one to each follower), then a
  // delivery and a reply: (3 + 1 + 1) x 100us per message.
  const auto runs = run_repetitions(scenario_from(
      "name: cost\nseed: 3\nrepetitions: 8\nduration: 100s\nwarmup: 10s\nqueue: {design: replicated, replicas: 3}\n"
      "producers:\n  - rate: 1000/s\nconsumers:\n  - count: 4\n    service: 100us\nbroker: {per_message: 100us}\n"));
  expect_within_ci(metric_summary(runs, "broker_utilization"), 1000 * 500e-6);
}

TEST(BrokerCost, ThreadsShareTheWork) {
  const auto runs = run_repetitions(scenario_from(publishes_only("750/s", "100B", "{per_message: 4ms, threads: 4}")));
  expect_within_ci(metric_summary(runs, "broker_utilization"), 750 * 4e-3 / 4);
}

TEST(BrokerCost, MM1WaitAtTheBrokerMatchesTheory) {
  // Exponential sizes at 1ns per byte: exponential service of mean 1ms; rho = 0.8, Wq = rho / (mu - lambda).
  const auto runs = run_repetitions(scenario_from(publishes_only("800/s", "{dist: exponential, mean: 1MB}", "{per_byte: 1ns}")));
  expect_within_ci(metric_summary(runs, "broker_queueing_delay"), 0.8 / (1000.0 - 800.0));
}

TEST(BrokerCost, MD1WaitAtTheBrokerMatchesPollaczekKhinchine) {
  // Constant service 1ms (0.5ms per message + 500KB at 1ns): Wq = rho S / (2 (1 - rho)).
  const auto runs = run_repetitions(scenario_from(publishes_only("800/s", "500KB", "{per_message: 500us, per_byte: 1ns}")));
  expect_within_ci(metric_summary(runs, "broker_queueing_delay"), 0.8 * 1e-3 / (2 * (1 - 0.8)));
}

TEST(BrokerCost, SaturatedBrokerBoundsThroughput) {
  // Capacity 1 / (3 x 100us + 2 x 64KiB x 1ns) = 2321/s; offered 2000/s is below it, offered 4000/s above it.
  const std::string scenario =
      "name: cost\nseed: 3\nrepetitions: 1\nduration: 20s\nwarmup: 5s\ndrain: false\nproducers:\n  - arrival: constant\n"
      "    size: 64KiB\n    rate: 2000/s\nconsumers:\n  - count: 8\n    service: 1us\n"
      "broker: {per_message: 100us, per_byte: 1ns}\n";
  const double capacity = 1 / (300e-6 + 2 * 65536e-9);
  const RunResult below = run_repetitions(scenario_from(scenario)).front();
  EXPECT_NEAR(below.metric("throughput").value(), 2000, 2000 * 0.01);
  EXPECT_NEAR(below.metric("broker_utilization").value(), 2000 / capacity, 0.01);
  const RunResult above = run_repetitions(scenario_from(scenario, {{"producers[0].rate", "4000/s"}})).front();
  EXPECT_GT(above.metric("broker_utilization").value(), 0.99);
  EXPECT_LT(above.metric("throughput").value(), capacity * 1.01);
}

TEST(BrokerCost, BandwidthAddsSizeOverBandwidthToEachHop) {
  // No queueing anywhere: latency = publish hop + delivery hop + service = 1ms + 1ms + 1ms, exactly.
  const auto runs = run_repetitions(scenario_from(
      "name: net\nseed: 1\nrepetitions: 1\nproducers:\n  - arrival: constant\n    rate: 10/s\n    messages: 20\n"
      "    size: 125KB\nconsumers:\n  - service: 1ms\nnetwork: {bandwidth: 1Gbit/s}\n"));
  EXPECT_DOUBLE_EQ(runs.front().metric("latency_max").value(), 3e-3);
  EXPECT_DOUBLE_EQ(runs.front().metric("latency_p50").value(), runs.front().metric("latency_max").value());
}

TEST(BrokerCost, AFreeBrokerAddsNoMetricsAndChangesNothing) {
  const std::string base = "name: free\nseed: 9\nrepetitions: 1\nduration: 50s\nproducers:\n  - rate: 7/s\n"
                           "consumers:\n  - count: 8\n    service: {dist: exponential, mean: 1s}\n";
  const RunResult free = run_repetitions(scenario_from(base)).front();
  const RunResult zero = run_repetitions(scenario_from(base + "broker: {per_message: 0s, per_byte: 0ns}\n")).front();
  EXPECT_FALSE(free.metric("broker_utilization").has_value());
  ASSERT_EQ(free.metrics.size(), zero.metrics.size());
  for (std::size_t i = 0; i + 2 < free.metrics.size(); ++i) {  // all but wall_seconds and events_per_second
    EXPECT_EQ(free.metrics[i].key, zero.metrics[i].key);
    if (free.metrics[i].key != "wall_seconds") {
      const double a = free.metrics[i].value;
      const double b = zero.metrics[i].value;
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << free.metrics[i].key;  // NaN: no samples in both
    }
  }
}

TEST(BrokerCost, ResolvedScenarioRoundTrips) {
  const Scenario s = scenario_from(
      "name: rt\nduration: 1s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"
      "broker: {per_message: 20us, per_byte: 350ps, threads: 2}\nnetwork: {bandwidth: 100Mbit/s}\n");
  EXPECT_EQ(s.broker.per_message, 20 * kMicrosecond);
  EXPECT_DOUBLE_EQ(s.broker.per_byte, 0.35);
  EXPECT_EQ(s.broker.threads, 2u);
  EXPECT_DOUBLE_EQ(s.network.bandwidth, 12.5e6);
  const Scenario back = scenario_from(workloads::scenario_to_json(s).dump());
  EXPECT_EQ(back.broker.per_message, s.broker.per_message);
  EXPECT_DOUBLE_EQ(back.broker.per_byte, s.broker.per_byte);
  EXPECT_EQ(back.broker.threads, s.broker.threads);
  EXPECT_DOUBLE_EQ(back.network.bandwidth, s.network.bandwidth);
}

TEST(BrokerCost, BadCostsAreRefusedWithTheirLocation) {
  const std::string base = "name: bad\nduration: 1s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n";
  const auto error_of = [&](const std::string& tail) {
    try {
      scenario_from(base + tail);
    } catch (const workloads::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error_of("broker: {per_byte: 1nsec}\n").find("test.yaml:7:"), std::string::npos) << error_of("broker: {per_byte: 1nsec}\n");
  EXPECT_NE(error_of("broker: {per_message: 2s}\n").find("at most 1s"), std::string::npos);
  EXPECT_NE(error_of("broker: {threads: 0}\n").find("threads"), std::string::npos);
  EXPECT_NE(error_of("broker: {per_mesage: 1us}\n").find("per_message"), std::string::npos);
  EXPECT_NE(error_of("network: {bandwidth: 10/s}\n").find("bandwidth"), std::string::npos);
  EXPECT_NE(error_of("network: {bandwidth: 1B/s}\n").find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace qlab::sim
