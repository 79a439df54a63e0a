// The scaling policy alone (sim/autoscaler.hpp): what it asks for, and when the cooldowns hold it back.
#include <gtest/gtest.h>

#include "sim/autoscaler.hpp"

namespace qlab::sim {
namespace {

AutoscaleSpec backlog_spec() {
  AutoscaleSpec spec;
  spec.min = 1;
  spec.max = 8;
  spec.target = 10;
  spec.scale_up_cooldown = 0;
  spec.scale_down_cooldown = 60 * kSecond;
  return spec;
}

TEST(Autoscaler, BacklogPerConsumerAsksForBacklogOverTarget) {
  Autoscaler scaler(backlog_spec());
  EXPECT_EQ(scaler.decide(10 * kSecond, 1, 35), 4u);   // ceil(35 / 10)
  EXPECT_EQ(scaler.decide(20 * kSecond, 4, 500), 8u);  // clamped to max
}

TEST(Autoscaler, ScaleDownWaitsForItsCooldownSinceTheLastChange) {
  Autoscaler scaler(backlog_spec());
  EXPECT_EQ(scaler.decide(10 * kSecond, 1, 80), 8u);
  EXPECT_EQ(scaler.decide(20 * kSecond, 8, 0), 8u);  // 10s after the change: held
  EXPECT_EQ(scaler.decide(69 * kSecond, 8, 0), 8u);
  EXPECT_EQ(scaler.decide(70 * kSecond, 8, 0), 1u);  // 60s after: down to min
}

TEST(Autoscaler, ScaleUpWaitsForItsCooldown) {
  AutoscaleSpec spec = backlog_spec();
  spec.scale_up_cooldown = 30 * kSecond;
  Autoscaler scaler(spec);
  EXPECT_EQ(scaler.decide(10 * kSecond, 1, 0), 1u);
  EXPECT_EQ(scaler.decide(20 * kSecond, 1, 0), 1u);
  EXPECT_EQ(scaler.decide(30 * kSecond, 1, 25), 3u);
  EXPECT_EQ(scaler.decide(40 * kSecond, 3, 60), 3u);  // 10s after the last change
  EXPECT_EQ(scaler.decide(60 * kSecond, 3, 60), 6u);
}

TEST(Autoscaler, LatencyP99ScalesInProportionBeyondTheTolerance) {
  AutoscaleSpec spec = backlog_spec();
  spec.metric = AutoscaleSpec::Metric::latency_p99;
  spec.target = static_cast<double>(kSecond);
  spec.scale_down_cooldown = 0;
  Autoscaler scaler(spec);
  EXPECT_EQ(scaler.decide(10 * kSecond, 2, 0), 2u);  // nothing finished: no data, no change
  EXPECT_FALSE(scaler.last_p99());
  for (int i = 0; i < 99; ++i) scaler.on_processed(100 * kMillisecond);
  scaler.on_processed(3 * kSecond);  // the 100th of 100: p99 is the 99th smallest
  EXPECT_EQ(scaler.decide(20 * kSecond, 4, 0), 1u);  // p99 100ms: ceil(4 x 0.1)
  EXPECT_EQ(scaler.last_p99(), 100 * kMillisecond);
  for (int i = 0; i < 10; ++i) scaler.on_processed(2500 * kMillisecond);
  EXPECT_EQ(scaler.decide(30 * kSecond, 2, 0), 5u);  // ceil(2 x 2.5)
  for (int i = 0; i < 10; ++i) scaler.on_processed(1050 * kMillisecond);
  EXPECT_EQ(scaler.decide(40 * kSecond, 5, 0), 5u);  // within 10% of the target
}

}  // namespace
}  // namespace qlab::sim
