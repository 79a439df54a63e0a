// Mapping onto qlab::Scenario: every key lands where core/scenario.hpp says, and every default is filled in.
#include <gtest/gtest.h>

#include "load_helpers.hpp"
#include "queues/design_registry.hpp"

namespace qlab::workloads {
namespace {

using testing::kMinimal;
using testing::load;

TEST(ScenarioLoader, FillsEveryDefault) {
  const Scenario s = load(kMinimal);
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.repetitions, 1u);
  EXPECT_EQ(s.duration, 100 * kSecond);
  EXPECT_EQ(s.warmup, 0);
  EXPECT_TRUE(s.drain);
  EXPECT_EQ(s.drain_timeout, 24 * 3600 * kSecond);
  EXPECT_FALSE(s.metrics_interval.has_value());
  EXPECT_EQ(s.queue.design, "pull");
  EXPECT_EQ(s.queue.params, with_defaults(*find_design("pull"), {}));  // the queue limits every design takes
  ASSERT_EQ(s.producers.size(), 1u);
  EXPECT_EQ(s.producers[0].name, "producers");
  EXPECT_EQ(s.producers[0].count, 1u);
  EXPECT_EQ(s.producers[0].arrival, Arrival::poisson);
  EXPECT_DOUBLE_EQ(s.producers[0].rate, 1.0);
  EXPECT_FALSE(s.producers[0].messages.has_value());
  EXPECT_TRUE(s.producers[0].size.is_constant());
  EXPECT_EQ(s.producers[0].size.a(), 100);
  ASSERT_EQ(s.consumers.size(), 1u);
  EXPECT_EQ(s.consumers[0].name, "consumers");
  EXPECT_EQ(s.consumers[0].count, 1u);
  EXPECT_EQ(s.consumers[0].prefetch, 1u);
  EXPECT_TRUE(s.consumers[0].service.is_constant());
  EXPECT_EQ(s.consumers[0].service.a(), static_cast<double>(kSecond));
  EXPECT_EQ(s.network.latency.a(), 0);
  EXPECT_TRUE(s.faults.empty());
}

TEST(ScenarioLoader, UnnamedGroupsAreNamedAfterTheirListAndPosition) {
  const Scenario s = load(kMinimal + "  - name: slow\n    service: 2s\n  - service: 3s\n");
  EXPECT_EQ(s.consumers[0].name, "consumers");
  EXPECT_EQ(s.consumers[1].name, "slow");
  EXPECT_EQ(s.consumers[2].name, "consumers3");
}

TEST(ScenarioLoader, DesignParametersAreTypedAndCompletedWithDefaults) {
  const Scenario s = load(kMinimal + "queue:\n  design: visibility_timeout\n  visibility_timeout: 5s\n  "
                                     "release_on_disconnect: true\n");
  EXPECT_EQ(s.queue.design, "visibility_timeout");
  EXPECT_EQ(std::get<std::int64_t>(s.queue.params.at("visibility_timeout")), 5 * kSecond);
  EXPECT_EQ(std::get<std::int64_t>(s.queue.params.at("max_receives")), 0);
  EXPECT_EQ(std::get<std::string>(s.queue.params.at("stale_ack")), "reject");
  EXPECT_TRUE(std::get<bool>(s.queue.params.at("release_on_disconnect")));
}

TEST(ScenarioLoader, ReadsEveryTopLevelKey) {
  const Scenario s = load(
      "name: all-keys\ndescription: every key\nseed: 18446744073709551615\nrepetitions: 3\nduration: 1h\n"
      "warmup: 5m\ndrain: false\ndrain_timeout: 30s\nmetrics:\n  interval: 10s\nnetwork:\n  latency: {dist: uniform, "
      "min: 1ms, max: 3ms}\nproducers:\n  - name: web\n    count: 4\n    arrival: constant\n    rate: 300/m\n    "
      "messages: 1000\n    size: {dist: lognormal, mean: 4KiB, cv: 0.5}\nconsumers:\n  - name: fast\n    count: 8\n"
      "    service: {dist: erlang, k: 4, mean: 200ms}\n    prefetch: 10\n");
  EXPECT_EQ(s.description, "every key");
  EXPECT_EQ(s.seed, 18446744073709551615ull);
  EXPECT_EQ(s.repetitions, 3u);
  EXPECT_EQ(s.duration, 3600 * kSecond);
  EXPECT_EQ(s.warmup, 300 * kSecond);
  EXPECT_FALSE(s.drain);
  EXPECT_EQ(s.drain_timeout, 30 * kSecond);
  EXPECT_EQ(s.metrics_interval, 10 * kSecond);
  EXPECT_EQ(s.network.latency.kind(), Distribution::Kind::uniform);
  EXPECT_EQ(s.network.latency.b(), static_cast<double>(3 * kMillisecond));
  const ProducerGroup& p = s.producers[0];
  EXPECT_EQ(p.count, 4u);
  EXPECT_EQ(p.arrival, Arrival::constant);
  EXPECT_DOUBLE_EQ(p.rate, 5.0);
  EXPECT_EQ(p.messages, 1000u);
  EXPECT_EQ(p.size.kind(), Distribution::Kind::lognormal);
  EXPECT_EQ(p.size.a(), 4096);
  EXPECT_EQ(p.size.b(), 0.5);
  const ConsumerGroup& c = s.consumers[0];
  EXPECT_EQ(c.count, 8u);
  EXPECT_EQ(c.prefetch, 10u);
  EXPECT_EQ(c.service.kind(), Distribution::Kind::erlang);
  EXPECT_EQ(c.service.b(), 4);
  EXPECT_EQ(c.service.a(), static_cast<double>(200 * kMillisecond));
}

TEST(ScenarioLoader, WarmupAutoIsChosenFromTheData) {
  const Scenario s = load(kMinimal + "warmup: auto\n");
  EXPECT_TRUE(s.warmup_auto);
  EXPECT_EQ(s.warmup, 0);
  EXPECT_FALSE(load(kMinimal).warmup_auto);
}

TEST(ScenarioLoader, BatchProducersPublishAtTheirTime) {
  const Scenario s = load("name: b\nproducers:\n  - arrival: batch\n    messages: 16000\n    at: 2s\nconsumers:\n"
                          "  - service: 1s\n");
  EXPECT_EQ(s.producers[0].arrival, Arrival::batch);
  EXPECT_EQ(s.producers[0].messages, 16000u);
  EXPECT_EQ(s.producers[0].at, 2 * kSecond);
  EXPECT_FALSE(s.duration.has_value());
}

TEST(ScenarioLoader, FaultsAndTheirTargets) {
  const Scenario s = load(
      "name: f\nduration: 1000s\nproducers:\n  - rate: 1/s\nconsumers:\n  - name: fast\n    count: 8\n    service: 1s\n"
      "  - name: slow\n    count: 2\n    service: 1s\nfaults:\n  - at: 600s\n    action: crash\n    target: fast[3]\n"
      "    restart_after: 60s\n  - at: 900s\n    action: stall\n    target: slow\n    duration: 120s\n"
      "  - every: {dist: exponential, mean: 600s}\n    until: 800s\n    action: crash\n    target: any consumer\n"
      "  - at: 1s\n    action: crash\n    target: fast[0..3]\n");
  ASSERT_EQ(s.faults.size(), 4u);
  const FaultSpec& member = s.faults[0];
  EXPECT_EQ(member.action, FaultAction::crash);
  EXPECT_EQ(member.at, 600 * kSecond);
  EXPECT_EQ(member.target.kind, FaultTarget::Kind::member);
  EXPECT_EQ(member.target.group, 0u);
  EXPECT_EQ(member.target.first, 3u);
  EXPECT_EQ(member.target.last, 3u);
  EXPECT_EQ(member.restart_after, 60 * kSecond);
  const FaultSpec& group = s.faults[1];
  EXPECT_EQ(group.action, FaultAction::stall);
  EXPECT_EQ(group.target.kind, FaultTarget::Kind::group);
  EXPECT_EQ(group.target.group, 1u);
  EXPECT_EQ(group.target.last, 1u);
  EXPECT_EQ(group.duration, 120 * kSecond);
  const FaultSpec& recurring = s.faults[2];
  EXPECT_FALSE(recurring.at.has_value());
  ASSERT_TRUE(recurring.every.has_value());
  EXPECT_EQ(recurring.every->kind(), Distribution::Kind::exponential);
  EXPECT_EQ(recurring.until, 800 * kSecond);
  EXPECT_EQ(recurring.target.kind, FaultTarget::Kind::any_consumer);
  EXPECT_EQ(recurring.target.text, "any consumer");
  EXPECT_FALSE(recurring.restart_after.has_value());
  const FaultSpec& range = s.faults[3];
  EXPECT_EQ(range.target.kind, FaultTarget::Kind::range);
  EXPECT_EQ(range.target.first, 0u);
  EXPECT_EQ(range.target.last, 3u);
  EXPECT_EQ(range.target.text, "fast[0..3]");
}

TEST(ScenarioLoader, ADesignChosenByOverrideSkipsTheFilesParametersForAnotherDesign) {
  const std::string file = kMinimal + "queue:\n  design: visibility_timeout\n  visibility_timeout: 5s\n";
  const Scenario s = load(file, {"queue.design=pull"});
  EXPECT_EQ(s.queue.design, "pull");
  EXPECT_EQ(s.queue.params, with_defaults(*find_design("pull"), {}));  // the queue limits every design takes
  // Written by an override itself, a parameter of another design is still an error.
  EXPECT_THROW(load(file, {"queue.design=pull", "queue.visibility_timeout=1s"}), ScenarioError);
}

}  // namespace
}  // namespace qlab::workloads
