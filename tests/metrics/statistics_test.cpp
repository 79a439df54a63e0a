// The confidence-interval math the suites rely on, against known values.
#include "metrics/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace qlab {
namespace {

TEST(Statistics, StudentTQuantilesMatchTheTable) {
  EXPECT_NEAR(student_t95(1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t95(4), 2.7764, 1e-4);
  EXPECT_NEAR(student_t95(10), 2.2281, 1e-4);
  EXPECT_NEAR(student_t95(30), 2.0423, 1e-4);
  EXPECT_NEAR(student_t95(60), 2.0003, 1e-3);
  EXPECT_NEAR(student_t95(120), 1.9799, 1e-3);
  EXPECT_NEAR(student_t95(100000), 1.96, 1e-3);
}

TEST(Statistics, SummaryOfOneToFive) {
  const Summary s = summarize({1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_NEAR(s.ci95, 2.7764 * std::sqrt(2.5) / std::sqrt(5.0), 1e-9);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
}

TEST(Statistics, OneValueHasNoInterval) {
  const Summary s = summarize({4.5});
  EXPECT_DOUBLE_EQ(s.mean, 4.5);
  EXPECT_DOUBLE_EQ(s.ci95, 0);
}

TEST(Statistics, ConstantValuesHaveAZeroWidthInterval) {
  const Summary s = summarize({2, 2, 2, 2});
  EXPECT_DOUBLE_EQ(s.mean, 2);
  EXPECT_DOUBLE_EQ(s.ci95, 0);
}

TEST(Statistics, EqualValuesWhoseMeanRoundsHaveExactlyAZeroInterval) {
  // 0.1 three times sums to 0.30000000000000004: the mean is off by one bit, and so would the variance be.
  const Summary s = summarize({0.1, 0.1, 0.1});
  EXPECT_EQ(s.mean, 0.1);
  EXPECT_EQ(s.ci95, 0);
}

}  // namespace
}  // namespace qlab
