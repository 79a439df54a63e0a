#include "live/live_results.hpp"

#include <gtest/gtest.h>

#include "live/scenario_scaling.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {
namespace {

double metric(const RunResult& r, const std::string& key) { return r.metric(key).value_or(-1); }

LiveRunFacts facts_for_two_consumers() {
  LiveRunFacts facts;
  facts.start = 1000 * kSecond;
  facts.end = facts.start + 10 * kSecond;
  facts.consumers = {{"c[0]", "c", {{facts.start, facts.end}}}, {"c[1]", "c", {{facts.start, facts.end}}}};
  return facts;
}

TEST(LiveResults, ADeliveryThatNeverReachedAConsumerStillCountsAsARedeliveryByItsReceiveCount) {
  LiveRunFacts facts = facts_for_two_consumers();
  const Time t0 = facts.start;
  LiveRecords records;
  records.publishes.push_back({0, t0, t0, t0, 1, false});
  // The first two deliveries were dropped on the way (a drop fault); the consumer saw only the third.
  records.deliveries.push_back({0, 1, 3, t0, t0 + 1 * kSecond});
  records.completions.push_back({0, 1, t0 + 1 * kSecond, t0 + 2 * kSecond});
  const RunResult r = build_live_result(records, facts, 0, 42);
  EXPECT_EQ(metric(r, "deliveries"), 1);
  EXPECT_EQ(metric(r, "redeliveries"), 2);
  EXPECT_EQ(metric(r, "duplicates"), 0);
  EXPECT_EQ(metric(r, "lost"), 0);
}

TEST(LiveResults, LatencyCountsFromTheIntendedSendTimeAndDuplicatesAreCounted) {
  LiveRunFacts facts = facts_for_two_consumers();
  const Time t0 = facts.start;
  LiveRecords records;
  // Message 1 was due at 1 s but sent late at 3 s (a stalled producer): latency still counts from 1 s.
  records.publishes.push_back({0, t0 + 1 * kSecond, t0 + 3 * kSecond, t0 + 3 * kSecond, 1, false});
  records.publishes.push_back({1, t0 + 2 * kSecond, t0 + 2 * kSecond, t0 + 2 * kSecond, 2, false});
  records.deliveries.push_back({0, 1, 1, t0 + 1 * kSecond, t0 + 4 * kSecond});
  records.deliveries.push_back({1, 1, 2, t0 + 1 * kSecond, t0 + 5 * kSecond});  // redelivered
  records.completions.push_back({0, 1, t0 + 4 * kSecond, t0 + 6 * kSecond});
  records.completions.push_back({1, 1, t0 + 5 * kSecond, t0 + 7 * kSecond});  // duplicate
  // Message 2 was delivered and never completed (its consumer crashed; at-most-once): lost.
  records.deliveries.push_back({1, 2, 1, t0 + 2 * kSecond, t0 + 2 * kSecond});
  const RunResult r = build_live_result(records, facts, 0, 42);
  EXPECT_EQ(metric(r, "published"), 2);
  EXPECT_EQ(metric(r, "deliveries"), 3);
  EXPECT_EQ(metric(r, "redeliveries"), 1);
  EXPECT_EQ(metric(r, "processed"), 2);
  EXPECT_EQ(metric(r, "unique_processed"), 1);
  EXPECT_EQ(metric(r, "duplicates"), 1);
  EXPECT_EQ(metric(r, "lost"), 1);
  EXPECT_DOUBLE_EQ(metric(r, "latency_max"), 5.0);  // 1 s -> first completion at 6 s
  EXPECT_DOUBLE_EQ(metric(r, "makespan"), 5.0);
  EXPECT_DOUBLE_EQ(metric(r, "utilization_mean"), 4.0 / 20.0);
  ASSERT_EQ(r.consumers.size(), 2u);
  EXPECT_EQ(r.consumers[1].processed, 1u);
}

TEST(LiveResults, AMessageAConsumerGotIsPublishedEvenWhenItsConfirmationWasLost) {
  LiveRunFacts facts = facts_for_two_consumers();
  const Time t0 = facts.start;
  LiveRecords records;
  records.publishes.push_back({0, t0, t0, -1, 0, false});  // the broker crashed before confirming both
  records.publishes.push_back({1, t0, t0, -1, 0, false});
  records.deliveries.push_back({0, 7, 1, t0, t0 + kMillisecond});  // ... but had delivered one of them
  records.completions.push_back({0, 7, t0 + kMillisecond, t0 + 2 * kMillisecond});
  const RunResult r = build_live_result(records, facts, 0, 1);
  EXPECT_EQ(metric(r, "published"), 1);
  EXPECT_EQ(metric(r, "unique_processed"), 1);
  EXPECT_EQ(metric(r, "lost"), 0);
  EXPECT_EQ(metric(r, "lost_unconfirmed_publish"), 1);
}

// A real broker writes a message to a consumer's connection before the consumer records it: one never seen
// handed over, not left in the queue, is lost with the consumer that died after it was accepted, unless a
// broker crashed after that.
TEST(LiveResults, AMessageNeverSeenHandedOverIsLostWithTheConsumerThatDiedUnlessABrokerCrashed) {
  LiveRunFacts facts = facts_for_two_consumers();
  const Time t0 = facts.start;
  facts.consumers[1].alive = {{t0, t0 + 3 * kSecond}, {t0 + 4 * kSecond, facts.end}};  // killed at 3 s
  LiveRecords records;
  records.publishes.push_back({0, t0 + kSecond, t0 + kSecond, t0 + kSecond, 1, false});
  const RunResult by_consumer = build_live_result(records, facts, 0, 1);
  EXPECT_EQ(metric(by_consumer, "lost"), 1);
  EXPECT_EQ(metric(by_consumer, "lost_consumer_crash"), 1);
  EXPECT_EQ(metric(by_consumer, "lost_broker_crash"), 0);

  facts.broker_down = {{t0 + 2 * kSecond, t0 + 5 * kSecond}};
  const RunResult by_broker = build_live_result(records, facts, 0, 1);
  EXPECT_EQ(metric(by_broker, "lost_consumer_crash"), 0);
  EXPECT_EQ(metric(by_broker, "lost_broker_crash"), 1);

  facts.remaining = 1;  // the broker still holds it: not lost at all
  EXPECT_EQ(metric(build_live_result(records, facts, 0, 1), "lost"), 0);
}

TEST(LiveResults, TimesAreScaledBackToScenarioTime) {
  LiveRunFacts facts = facts_for_two_consumers();
  facts.time_scale = 0.01;
  const Time t0 = facts.start;
  LiveRecords records;
  records.publishes.push_back({0, t0, t0, t0 + kMillisecond, 1, false});
  records.deliveries.push_back({0, 1, 1, t0, t0 + 2 * kMillisecond});
  records.completions.push_back({0, 1, t0 + 2 * kMillisecond, t0 + 12 * kMillisecond});
  const RunResult r = build_live_result(records, facts, 0, 1);
  EXPECT_NEAR(metric(r, "latency_max"), 1.2, 0.01);  // 12 ms live at 1/100 speed
  EXPECT_NEAR(metric(r, "wait_p99"), 0.2, 0.01);
  EXPECT_NEAR(metric(r, "publish_latency_p99"), 0.1, 0.01);
}

TEST(ScenarioScaling, DurationsShrinkAndRatesGrow) {
  Scenario s;
  s.duration = 100 * kSecond;
  s.queue.design = "visibility_timeout";
  s.queue.params = with_defaults(*find_design("visibility_timeout"), {});
  s.producers.push_back(ProducerGroup{});
  s.producers[0].rate = 2;
  s.consumers.push_back(ConsumerGroup{});
  s.consumers[0].service = Distribution::exponential(static_cast<double>(kSecond));
  const Scenario scaled = scale_scenario(s, 0.01);
  EXPECT_EQ(*scaled.duration, kSecond);
  EXPECT_DOUBLE_EQ(scaled.producers[0].rate, 200);
  EXPECT_DOUBLE_EQ(scaled.consumers[0].service.mean(), 10.0 * kMillisecond);
  EXPECT_EQ(std::get<std::int64_t>(scaled.queue.params.at("visibility_timeout")), 300 * kMillisecond);
}

}  // namespace
}  // namespace qlab::live
