#include "metrics/time_series_recorder.hpp"

#include <gtest/gtest.h>

namespace qlab {
namespace {

TEST(TimeSeriesRecorder, AFixedIntervalGivesTimeWeightedMeansAndMaximaPerInterval) {
  TimeSeriesRecorder recorder(kSecond);
  recorder.observe(0, SystemState{});
  for (int i = 0; i < 10; ++i) recorder.on_published();
  // Backlog 0 until 1.5 s, 4 until 2.5 s, 2 until the end at 3 s.
  recorder.observe(1500 * kMillisecond, SystemState{0, 0, 0, 2});
  recorder.observe(2500 * kMillisecond, SystemState{4, 1, 1, 2});
  const auto points = recorder.finish(3 * kSecond, SystemState{2, 0, 0, 2});
  ASSERT_EQ(points.size(), 3u);  // (0, 1], (1, 2], (2, 3]
  EXPECT_EQ(points[0].t, kSecond);
  EXPECT_EQ(points[0].published, 10);
  EXPECT_DOUBLE_EQ(points[1].backlog, 2.0);  // 0 for half the second, 4 for the other half
  EXPECT_EQ(points[1].backlog_max, 4);
  EXPECT_DOUBLE_EQ(points[1].in_flight, 0.5);
  EXPECT_DOUBLE_EQ(points[2].backlog, 3.0);
  EXPECT_EQ(points[2].backlog_max, 4);
  EXPECT_DOUBLE_EQ(points[2].alive_consumers, 2.0);
  EXPECT_EQ(points[2].t, 3 * kSecond);
}

TEST(TimeSeriesRecorder, AStateThatLastedNoTimeIsNoSample) {
  TimeSeriesRecorder recorder(kSecond);
  recorder.observe(500 * kMillisecond, SystemState{});
  recorder.observe(500 * kMillisecond, SystemState{7, 0, 0, 1});  // e.g. published and delivered at once
  const auto points = recorder.finish(kSecond, SystemState{});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].backlog_max, 0);
  EXPECT_EQ(points[0].backlog, 0);
}

TEST(TimeSeriesRecorder, WithoutAnIntervalPointsEndAtRoundTimesAndKeepTheRunsTimeAverage) {
  for (Time length : {Time{5} * kMillisecond, Time{3} * kSecond, Time{420} * kSecond, Time{86400} * kSecond}) {
    TimeSeriesRecorder recorder(std::nullopt);
    std::int64_t counted = 0;
    double area = 0;  // of the backlog, exactly as fed
    SystemState state;
    Time last = 0;
    // One event per 1/1000 of the run; the backlog cycles 0..6.
    for (Time t = 0; t < length; t += length / 1000) {
      recorder.observe(t, state);
      area += static_cast<double>(state.backlog) * static_cast<double>(t - last);
      last = t;
      state.backlog = (state.backlog + 1) % 7;
      recorder.on_processed();
      ++counted;
    }
    area += static_cast<double>(state.backlog) * static_cast<double>(length - last);
    const auto points = recorder.finish(length, state);
    EXPECT_GE(points.size(), 200u) << length;
    EXPECT_LE(points.size(), 1001u) << length;
    std::int64_t processed = 0;
    double weighted = 0;
    Time previous = 0;
    for (const TimeSeriesPoint& p : points) {
      processed += p.processed;
      weighted += p.backlog * static_cast<double>(p.t - previous);
      EXPECT_LE(p.backlog, static_cast<double>(p.backlog_max) + 1e-9);
      previous = p.t;
    }
    EXPECT_EQ(processed, counted) << "merging must not lose counts";
    EXPECT_NEAR(weighted, area, 1e-9 * area) << "merging must keep the time average";
    // Every point but the last ends on a multiple of the interval, which is 1, 2 or 5 times a power of ten.
    const Time step = points[0].t;
    Time leading = step;
    while (leading % 10 == 0) leading /= 10;
    EXPECT_TRUE(leading == 1 || leading == 2) << step;
    for (std::size_t i = 0; i + 1 < points.size(); ++i) EXPECT_EQ(points[i].t, static_cast<Time>(i + 1) * step);
  }
}

}  // namespace
}  // namespace qlab
