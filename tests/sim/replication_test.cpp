// The replication trade-off of issue 5, through scenario files: what a broker crash costs with one replica,
// with acks: leader and with acks: all.
#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric;
using testing::scenario_from;

constexpr const char* kLeaderCrash = R"(
name: leader-crash
duration: 30s
producers: [{arrival: constant, rate: 200/s}]
consumers: [{name: w, count: 2, service: 20ms}]
queue: {design: replicated, replicas: 3, replication_latency: 20ms, failure_detection: 2s}
faults: [{at: 10s, action: broker_crash, target: leader, restart_after: 10s}]
)";

RunResult run_once(const std::vector<workloads::Override>& overrides) {
  return run_repetitions(scenario_from(kLeaderCrash, overrides)).front();
}

TEST(Replication, OneReplicaLosesEverythingUnprocessedOnABrokerCrash) {
  const RunResult run = run_once({{"queue.replicas", "1"}});
  EXPECT_GT(metric(run, "lost_broker_crash"), 100);  // the backlog of 10 s at 200/s against 100/s of service
  EXPECT_EQ(metric(run, "lost"), metric(run, "lost_broker_crash"));
}

TEST(Replication, AcksLeaderLosesOnlyConfirmedButUnreplicatedPublishes) {
  const RunResult run = run_once({{"queue.acks", "leader"}});
  // 20 ms of replication lag at 200/s: about 4 confirmed publishes had not reached a follower.
  EXPECT_GT(metric(run, "lost"), 0);
  EXPECT_LT(metric(run, "lost"), 10);
  EXPECT_EQ(metric(run, "lost_confirmed"), metric(run, "lost"));
}

TEST(Replication, AcksAllWithASurvivingInSyncFollowerLosesNothingConfirmed) {
  const RunResult run = run_once({{"queue.acks", "all"}});
  EXPECT_EQ(metric(run, "lost_confirmed"), 0);
}

TEST(Replication, AcksAllCostsAboutOneReplicationRoundTripOfPublishLatency) {
  const RunResult leader = run_once({{"queue.acks", "leader"}, {"faults", "[]"}});
  const RunResult all = run_once({{"queue.acks", "all"}, {"faults", "[]"}});
  EXPECT_NEAR(metric(all, "publish_latency_mean") - metric(leader, "publish_latency_mean"), 0.040, 0.001);
}

TEST(Replication, FailoverTakesAboutTheFailureDetectionTime) {
  const RunResult run = run_once({{"queue.acks", "all"}});
  EXPECT_NEAR(metric(run, "unavailable_seconds"), 2.0, 0.05);
  EXPECT_GT(metric(run, "refused_publishes"), 350);  // 2 s at 200/s
}

}  // namespace
}  // namespace qlab::sim
