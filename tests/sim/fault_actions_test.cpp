// Each fault action of the fault model does what docs/FAULTS.md says, through scenario files.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::run_once;
using testing::scenario_from;

TEST(FaultActions, SlowMultipliesServiceTimesStartedInItsWindow) {
  // 10 messages of 100 ms on one consumer; the two services starting before 0.5 s take 300 ms each.
  const RunResult run = run_once(R"(
name: slow
producers: [{arrival: batch, messages: 10}]
consumers: [{name: w, service: 100ms}]
faults: [{at: 0s, action: slow, target: w, factor: 3, duration: 500ms}]
)");
  EXPECT_DOUBLE_EQ(metric(run, "makespan"), 0.3 + 0.3 + 8 * 0.1);
  ASSERT_EQ(run.faults.size(), 1u);
  EXPECT_EQ(run.faults[0].action, "slow");
  EXPECT_EQ(run.faults[0].end, 500 * kMillisecond);
}

constexpr const char* kBrokerCrash = R"(
name: broker-crash
duration: 30s
producers: [{arrival: constant, rate: 10/s}]
consumers: [{name: w, count: 2, service: 1s}]
queue: {design: visibility_timeout}
faults: [{at: 10s, action: broker_crash, restart_after: 5s}]
)";

TEST(FaultActions, BrokerCrashLosesWhatASingleNodeHeldAndRefusesPublishesWhileDown) {
  const RunResult run = run_once(kBrokerCrash);
  // 10 s of 10/s against 2/s of service leaves about 80 queued: all gone. The 2 messages in service at the
  // consumers survive the broker (their copies finish; nothing holds them any more).
  EXPECT_GT(metric(run, "lost_broker_crash"), 70);
  EXPECT_EQ(metric(run, "lost"), metric(run, "lost_broker_crash"));
  EXPECT_DOUBLE_EQ(metric(run, "unavailable_seconds"), 5.0);
  EXPECT_NEAR(metric(run, "refused_publishes"), 50, 1);  // 5 s at 10/s
  EXPECT_EQ(metric(run, "remaining"), 0);
  EXPECT_EQ(metric(run, "unique_processed") + metric(run, "lost"), metric(run, "published"));
}

TEST(FaultActions, ProducersThatRetryResendWhatTheDownBrokerRefusedUntilTheirLimit) {
  // The broker is down from 10 s to 15 s; 50 publishes fall due meanwhile (of 299, at 0.1 s, 0.2 s, ...).
  // Retrying after 100 ms, 200 ms, then 400 ms each, every one is sent again until the broker is back; with a
  // 1 s limit a message due at t is sent at t, t+0.1, t+0.3 and t+0.7 s at the latest, so those due before
  // 14.3 s (10.0 ... 14.2: 43 of them) are refused for good.
  const RunResult patient = run_once(kBrokerCrash, {{"producers[0].on_unavailable", "retry"},
                                                    {"producers[0].retry", "{backoff: 100ms, max_backoff: 400ms}"}});
  EXPECT_EQ(metric(patient, "refused_publishes"), 0);
  EXPECT_GT(metric(patient, "retried_publishes"), 50);
  EXPECT_EQ(metric(patient, "published"), 299);  // every one got in
  const RunResult hasty = run_once(kBrokerCrash, {{"producers[0].on_unavailable", "retry"},
                                                  {"producers[0].retry", "{backoff: 100ms, max_backoff: 400ms, limit: 1s}"}});
  EXPECT_EQ(metric(hasty, "refused_publishes"), 43);
  EXPECT_EQ(metric(hasty, "published"), 299 - 43);
  const RunResult refusing = run_once(kBrokerCrash);
  EXPECT_EQ(metric(refusing, "retried_publishes"), 0);
}

TEST(FaultActions, AConsumerFrozenDuringABrokerRestartReconnectsWhenItResumes) {
  // The broker is down from 10 s to 12 s; w[1] is frozen from 11 s to 20 s, holding nothing (the crash
  // reset its connection). w[0] reconnects at 12 s, w[1] only when it resumes at 20 s: nothing is
  // delivered to it in between, though it has room.
  auto scenario = scenario_from(R"(
name: frozen-restart
duration: 30s
producers: [{arrival: constant, rate: 4/s}]
consumers: [{name: w, count: 2, prefetch: 2, service: 100ms}]
faults:
  - {at: 11s, action: stall, target: 'w[1]', duration: 9s}
  - {at: 10s, action: broker_crash, restart_after: 2s}
)");
  RepetitionOptions options;
  options.trace = true;
  const RunResult run = run_repetitions(scenario, options).front();
  EXPECT_EQ(metric(run, "remaining"), 0);
  std::size_t to_frozen = 0;
  std::size_t after_resume = 0;
  for (const MessageTrace& m : run.trace) {
    for (const auto& [consumer, at] : m.deliveries) {
      if (consumer != 1) continue;
      to_frozen += at > 12 * kSecond && at < 20 * kSecond;
      after_resume += at >= 20 * kSecond;
    }
  }
  EXPECT_EQ(to_frozen, 0u);
  EXPECT_GT(after_resume, 0u);
}

TEST(FaultActions, AnAckFromBeforeABrokerRestartNeverReachesTheRestartedBroker) {
  // a receives the first message (the first receipt the broker ever hands out) and is still processing it
  // when the broker crashes and restarts empty. The restarted broker hands b the next message under a
  // receipt with the same value. a's ack of its old delivery must not touch b's message: the restarted
  // broker never issued it, so it is dropped, and b's own ack is then current (no stale acks at all).
  const RunResult run = run_once(R"(
name: stale-incarnation
duration: 1s
producers: [{arrival: constant, rate: 10/s}]
queue: {design: visibility_timeout}
consumers:
  - {name: a, service: 200ms}
  - {name: b, service: 50ms}
faults: [{at: 150ms, action: broker_crash, restart_after: 20ms}]
)");
  EXPECT_EQ(metric(run, "stale_acks"), 0);
  EXPECT_EQ(metric(run, "lost"), 0);
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
}

TEST(FaultActions, PartitionHoldsTrafficUntilItHealsAndTheTimeoutRedelivers) {
  // Consumer a is cut off for 5 s, longer than the 2 s visibility timeout: the message it held is
  // redelivered to b; a's late ack after the heal is stale, and the second processing is a duplicate.
  const RunResult run = run_once(R"(
name: partition
duration: 30s
producers: [{arrival: constant, rate: 4/s}]
queue: {design: visibility_timeout, visibility_timeout: 2s}
consumers:
  - {name: a, service: 100ms}
  - {name: b, service: 100ms}
faults: [{at: 10s, action: partition, between: [consumers.a, broker], duration: 5s}]
)");
  EXPECT_EQ(metric(run, "lost"), 0);
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
  EXPECT_GE(metric(run, "duplicates"), 1);
  EXPECT_GE(metric(run, "stale_acks"), 1);
  EXPECT_GE(metric(run, "redeliveries"), 1);
  ASSERT_EQ(run.faults.size(), 1u);
  EXPECT_EQ(run.faults[0].start, 10 * kSecond);
  EXPECT_EQ(run.faults[0].end, 15 * kSecond);
}

constexpr const char* kDrop = R"(
name: drop
duration: 20s
producers: [{arrival: constant, rate: 10/s}]
consumers: [{name: w, count: 2, service: 50ms}]
faults: [{at: 5s, action: drop, hop: broker->consumer, p: 1, duration: 2s}]
)";

TEST(FaultActions, DropLosesDeliveriesUnderAtMostOnce) {
  const RunResult run = run_once(kDrop, {{"queue.design", "pull"}});
  EXPECT_NEAR(metric(run, "lost_network"), 20, 1);  // every delivery for 2 s at 10/s
  EXPECT_EQ(metric(run, "lost"), metric(run, "lost_network"));
}

TEST(FaultActions, DropOnlyDelaysUnderAVisibilityTimeout) {
  const RunResult run = run_once(kDrop, {{"queue.design", "visibility_timeout"}, {"queue.visibility_timeout", "1s"}});
  EXPECT_EQ(metric(run, "lost"), 0);
  EXPECT_EQ(metric(run, "unique_processed"), metric(run, "published"));
  EXPECT_GE(metric(run, "redeliveries"), 10);
}

TEST(FaultActions, DelayAddsLatencyOnItsHopForItsWindow) {
  const RunResult run = run_once(R"(
name: delay
duration: 20s
producers: [{name: web, arrival: constant, rate: 10/s}]
consumers: [{name: w, count: 4, service: 10ms}]
faults: [{at: 5s, action: delay, hop: producer->broker, extra: 500ms, duration: 1s, target: web}]
)");
  EXPECT_NEAR(metric(run, "latency_max"), 0.51, 0.01);
  EXPECT_LT(metric(run, "latency_p50"), 0.02);
}

TEST(FaultActions, ProducerCrashStopsPublishingAndLosesWhatWasOnTheWire) {
  const RunResult run = run_once(R"(
name: producer-crash
duration: 20s
network: {latency: 50ms}
producers: [{name: web, arrival: constant, rate: 100/s}]
consumers: [{name: w, count: 4, service: 10ms}]
faults: [{at: 10005ms, action: producer_crash, target: 'web[0]', restart_after: 2s}]
)");
  // 50 ms of 100/s on the wire: 5 publishes die with the connection; 2 s of publishing are missing.
  EXPECT_EQ(metric(run, "lost_unconfirmed_publish"), 5);
  EXPECT_NEAR(metric(run, "published"), 1800 - 5, 2);
  EXPECT_EQ(metric(run, "lost"), 0);
}

TEST(FaultActions, RecoveryTimeMeasuresTheReturnToThePreFaultBacklog) {
  const RunResult run = run_once(R"(
name: recovery
duration: 60s
producers: [{arrival: constant, rate: 5/s}]
consumers: [{name: w, count: 2, service: 200ms}]
faults: [{at: 10s, action: stall, target: w, duration: 5s}]
)");
  // 25 messages pile up during the stall; the consumers clear them at 10 - 5 = 5 per second net.
  EXPECT_GT(metric(run, "recovery_time"), 5.0);
  EXPECT_LT(metric(run, "recovery_time"), 12.0);
}

}  // namespace
}  // namespace qlab::sim
