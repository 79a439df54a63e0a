#include "metrics/time_series_recorder.hpp"

#include <gtest/gtest.h>

namespace qlab {
namespace {

TEST(TimeSeriesRecorder, AFixedIntervalKeepsEverySample) {
  TimeSeriesRecorder recorder(kSecond);
  for (int i = 0; i < 10; ++i) recorder.on_published();
  recorder.sample_until(2500 * kMillisecond, SystemState{3, 1, 1, 2});
  const auto points = recorder.finish(3 * kSecond, SystemState{0, 0, 0, 2});
  ASSERT_EQ(points.size(), 4u);  // t = 0, 1, 2 and the end, 3
  EXPECT_EQ(points[1].t, kSecond);
  EXPECT_EQ(points[2].backlog, 3);
  std::int64_t published = 0;
  for (const TimeSeriesPoint& p : points) published += p.published;
  EXPECT_EQ(published, 10);
}

TEST(TimeSeriesRecorder, WithoutAnIntervalAnyRunEndsWithTwoToFourHundredPoints) {
  for (Time length : {Time{5} * kMillisecond, Time{3} * kSecond, Time{86400} * kSecond}) {
    TimeSeriesRecorder recorder(std::nullopt);
    std::int64_t counted = 0;
    // One message per 1/1000 of the run, sampled as the simulator does: before each event.
    for (Time t = 0; t < length; t += length / 1000) {
      if (recorder.due(t)) recorder.sample_until(t, SystemState{1, 0, 0, 1});
      recorder.on_processed();
      ++counted;
    }
    const auto points = recorder.finish(length, SystemState{});
    EXPECT_GE(points.size(), 200u) << length;
    EXPECT_LE(points.size(), 402u) << length;
    std::int64_t processed = 0;
    for (const TimeSeriesPoint& p : points) processed += p.processed;
    EXPECT_EQ(processed, counted) << "merging halves must not lose counts";
    for (std::size_t i = 1; i < points.size(); ++i) EXPECT_GT(points[i].t, points[i - 1].t);
  }
}

}  // namespace
}  // namespace qlab
