// Failing processing, poison messages and bounded queues in the simulator, against exact counts where the
// timeline is deterministic and binomial/geometric confidence intervals where it is random.
#include <gtest/gtest.h>

#include <cmath>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::run_once;

// 20,000 messages through visibility_timeout (dead letters after max_receives), eight consumers.
constexpr const char* kFailing = R"(
name: failing
seed: 11
producers: [{rate: 400/s, messages: 20000}]
consumers: [{name: w, count: 8, service: {dist: exponential, mean: 5ms}}]
queue: {design: visibility_timeout, visibility_timeout: 1s, max_receives: 3}
)";
constexpr double kMessages = 20000;
constexpr double kZ = 4.0;  // a fixed seed, and a 1-in-15,000 interval: a failure here is a bug, not bad luck

TEST(Failures, PoisonMessagesAreDeadLetteredAfterMaxReceivesAndNothingElseIs) {
  const double p = 0.02;
  const RunResult run = run_once(kFailing, {{"producers[0].poison", "0.02"}});
  const double dead = metric(run, "dead_lettered");
  // Each message is poison independently: Binomial(N, p).
  EXPECT_NEAR(dead, kMessages * p, kZ * std::sqrt(kMessages * p * (1 - p)));
  EXPECT_EQ(metric(run, "dead_lettered_max_receives"), dead);
  EXPECT_EQ(metric(run, "failed_processing"), 3 * dead);  // each poison message fails at each of its 3 deliveries
  EXPECT_EQ(metric(run, "unique_processed") + dead, kMessages);
  EXPECT_EQ(metric(run, "duplicates"), 0);
  EXPECT_GT(metric(run, "time_to_dead_letter_mean"), 0);
}

TEST(Failures, RandomFailuresDeadLetterAMessageWithProbabilityPToTheK) {
  // p = 0.3 released at each failure, max_receives 2: a message is dead-lettered when both receives fail.
  const RunResult run = run_once(kFailing, {{"consumers[0].failure", "{p: 0.3, action: release}"},
                                            {"queue.max_receives", "2"}});
  const double q = 0.3 * 0.3;
  EXPECT_NEAR(metric(run, "dead_lettered"), kMessages * q, kZ * std::sqrt(kMessages * q * (1 - q)));
  EXPECT_EQ(metric(run, "unique_processed") + metric(run, "dead_lettered"), kMessages);
}

TEST(Failures, FailedProcessingPerProcessedMessageIsPOverOneMinusP) {
  // Without max_receives every message is retried until it succeeds: its failures are Geometric(1 - p), mean
  // p / (1 - p), variance p / (1 - p)^2.
  const double p = 0.1;
  const RunResult run = run_once(kFailing, {{"consumers[0].failure", "{p: 0.1, action: release}"},
                                            {"queue.max_receives", "0"}});
  EXPECT_EQ(metric(run, "processed"), kMessages);
  EXPECT_NEAR(metric(run, "failed_processing") / metric(run, "processed"), p / (1 - p),
              kZ * std::sqrt(p / kMessages) / (1 - p));
  EXPECT_EQ(metric(run, "redeliveries"), metric(run, "failed_processing"));
}

TEST(Failures, FailuresDrawFromTheirOwnStreamSoOtherDrawsAreUnchanged) {
  const std::string small = R"(
name: streams
seed: 5
producers: [{rate: 50/s, messages: 2000}]
consumers: [{count: 2, service: {dist: exponential, mean: 30ms}}]
)";
  const RunResult plain = run_once(small);
  // So unlikely that none happens: every other draw (arrivals, sizes, services) must be exactly the same.
  const RunResult with = run_once(small, {{"consumers[0].failure", "{p: 1e-12, action: release}"},
                                          {"producers[0].poison", "1e-12"}});
  EXPECT_EQ(metric(with, "failed_processing"), 0);
  EXPECT_EQ(metric(with, "latency_mean"), metric(plain, "latency_mean"));
  EXPECT_EQ(metric(with, "makespan"), metric(plain, "makespan"));
}

TEST(Failures, AFailureThatTimesOutIsRedeliveredWhenTheVisibilityTimeoutEnds) {
  // One poison message, 100 ms of processing, a 2 s visibility timeout, 3 receives: delivered at 0, 2 and 4 s,
  // failing each time without a word; at 6 s it is visible after its third receive and dead-lettered.
  const RunResult run = run_once(R"(
name: timeout
producers: [{arrival: batch, messages: 1, poison: 1}]
consumers: [{service: 100ms, failure: {p: 0, action: timeout}}]
queue: {design: visibility_timeout, visibility_timeout: 2s, max_receives: 3}
)");
  EXPECT_EQ(metric(run, "failed_processing"), 3);
  EXPECT_EQ(metric(run, "dead_lettered"), 1);
  EXPECT_DOUBLE_EQ(metric(run, "time_to_dead_letter_mean"), 6.0);
}

TEST(Failures, AFailureThatCrashesRestartsTheConsumerAsACrashFaultDoes) {
  // Crashes at 0.1 s and (after the 2 s timeout) at 2.1 s, back 1 s later each time; dead-lettered at 4 s.
  const RunResult run = run_once(R"(
name: crash
producers: [{arrival: batch, messages: 1, poison: 1}]
consumers: [{name: w, service: 100ms, failure: {p: 0, action: crash, restart_after: 1s}}]
queue: {design: visibility_timeout, visibility_timeout: 2s, max_receives: 2}
)");
  EXPECT_EQ(metric(run, "failed_processing"), 2);
  ASSERT_EQ(run.faults.size(), 2u);
  EXPECT_EQ(run.faults[1].action, "crash");
  EXPECT_EQ(run.faults[1].start, 2100 * kMillisecond);
  EXPECT_EQ(run.faults[1].end, 3100 * kMillisecond);
  EXPECT_DOUBLE_EQ(metric(run, "time_to_dead_letter_mean"), 4.0);
}

TEST(Failures, AnAtMostOnceDesignDropsWhatFailsForNothingKeepsIt) {
  const RunResult run = run_once(kFailing, {{"queue.design", "pull"}, {"consumers[0].failure", "{p: 0.05, action: release}"}});
  EXPECT_GT(metric(run, "failed_processing"), 0);
  EXPECT_EQ(metric(run, "dropped_failed"), metric(run, "failed_processing"));
  EXPECT_EQ(metric(run, "unique_processed") + metric(run, "dropped"), kMessages);
  EXPECT_EQ(metric(run, "lost"), 0);
}

// Ten messages at 1 s to one consumer that takes exactly 1 s each: the first is delivered at once, the rest wait.
constexpr const char* kBurst = R"(
name: burst
producers: [{arrival: batch, messages: 10, at: 1s}]
consumers: [{service: 1s}]
)";

TEST(BoundedQueues, RejectPublishRefusesWhatExceedsMaxLength) {
  // One in service, three waiting: the other six are refused.
  const RunResult run = run_once(kBurst, {{"queue.max_length", "3"}});
  EXPECT_EQ(metric(run, "published"), 4);
  EXPECT_EQ(metric(run, "refused_publishes"), 6);
  EXPECT_EQ(metric(run, "processed"), 4);
}

TEST(BoundedQueues, DropHeadKeepsTheNewestMessages) {
  const RunResult run = run_once(kBurst, {{"queue.max_length", "3"}, {"queue.overflow", "drop_head"}});
  EXPECT_EQ(metric(run, "published"), 10);
  EXPECT_EQ(metric(run, "dropped_overflow"), 6);
  EXPECT_EQ(metric(run, "processed"), 4);
  EXPECT_DOUBLE_EQ(metric(run, "makespan"), 4.0);  // published at 1 s, the fourth done at 5 s
}

TEST(BoundedQueues, MessagesOlderThanTtlAtTheHeadExpire) {
  // Started at 1, 2, 3 and 4 s (ages 0 to 3 s); at 5 s the next is 4 s old, past the 3.5 s ttl, and so is every
  // other: six expire, dead-lettered.
  const RunResult run = run_once(kBurst, {{"queue.ttl", "3500ms"}, {"queue.discarded", "dead_letter"}});
  EXPECT_EQ(metric(run, "processed"), 4);
  EXPECT_EQ(metric(run, "expired"), 6);
  EXPECT_EQ(metric(run, "dead_lettered_expired"), 6);
  EXPECT_DOUBLE_EQ(metric(run, "time_to_dead_letter_mean"), 4.0);
  EXPECT_EQ(metric(run, "remaining"), 0);
}

}  // namespace
}  // namespace qlab::sim
