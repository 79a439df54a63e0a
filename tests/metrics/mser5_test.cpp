#include "metrics/mser5.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace qlab {
namespace {

std::vector<double> noise(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> values(n);
  for (double& v : values) v = 10.0 + normal(gen);
  return values;
}

TEST(Mser5, TruncatesAnExponentialTransientDecayingIntoNoise) {
  // 100 * exp(-t/50) on top of noise of standard deviation 1: the transient is below the noise after ~230.
  std::vector<double> series = noise(2000, 7);
  for (std::size_t t = 0; t < series.size(); ++t) series[t] += 100.0 * std::exp(-static_cast<double>(t) / 50.0);
  const std::size_t cut = mser5_truncation(series);
  EXPECT_EQ(cut % 5, 0u);
  EXPECT_GE(cut, 150u);
  EXPECT_LE(cut, 400u);
}

TEST(Mser5, KeepsAFlatSeriesAlmostWhole) {
  EXPECT_LE(mser5_truncation(noise(2000, 11)), 100u);
  EXPECT_EQ(mser5_truncation(std::vector<double>(100, 3.0)), 0u);
}

TEST(Mser5, DropsAStepAtTheStart) {
  std::vector<double> series(100, 1.0);
  for (std::size_t t = 0; t < 20; ++t) series[t] = 50.0;
  EXPECT_EQ(mser5_truncation(series), 20u);
}

TEST(Mser5, NeverCutsMoreThanHalfTheBatches) {
  std::vector<double> ramp(100);
  for (std::size_t t = 0; t < ramp.size(); ++t) ramp[t] = static_cast<double>(t);
  EXPECT_LE(mser5_truncation(ramp), 50u);
}

TEST(Mser5, ShortSeriesAreNotTruncated) {
  EXPECT_EQ(mser5_truncation({}), 0u);
  EXPECT_EQ(mser5_truncation({5, 4, 3, 2, 1, 0, 0}), 0u);
}

}  // namespace
}  // namespace qlab
