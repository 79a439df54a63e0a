#include "core/distribution.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace qlab {
namespace {

struct Moments {
  double mean;
  double scv;
};

Moments sample_moments(const Distribution& d, int n) {
  RandomStream rng(17);
  double sum = 0;
  double squares = 0;
  for (int i = 0; i < n; ++i) {
    const auto x = static_cast<double>(d.sample(rng));
    sum += x;
    squares += x * x;
  }
  const double mean = sum / n;
  return {mean, (squares / n - mean * mean) / (mean * mean)};
}

// With n samples the standard error of the mean is sqrt(scv/n) * mean; accept 5 standard errors.
void expect_mean(const Distribution& d, int n = 200000) {
  const Moments m = sample_moments(d, n);
  const double tolerance = 5 * std::sqrt(d.scv() / n) * d.mean() + 1;
  EXPECT_NEAR(m.mean, d.mean(), tolerance) << Distribution::kind_name(d.kind());
}

TEST(Distribution, SampleMeansMatchTheDeclaredMeans) {
  expect_mean(Distribution::constant(1e6));
  expect_mean(Distribution::exponential(1e6));
  expect_mean(Distribution::uniform(5e5, 1.5e6));
  expect_mean(Distribution::lognormal(1e6, 0.5));
  expect_mean(Distribution::erlang(4, 1e6));
}

TEST(Distribution, ParetoMeanMatchesWithFiniteVariance) {
  expect_mean(Distribution::pareto(1e6, 3.0));
}

TEST(Distribution, HeavyTailSamplesStopAtTheLargestSample) {
  // Pareto with shape 1.0001 and a mean of 1e18: about 2 in 100,000 samples would exceed 2^62 uncapped.
  const Distribution heavy = Distribution::pareto(1e18, 1.0001);
  RandomStream rng(5);
  int capped = 0;
  for (int i = 0; i < 1000000; ++i) {
    const std::int64_t x = heavy.sample(rng);
    ASSERT_LE(x, kMaxSample);
    capped += x == kMaxSample;
  }
  EXPECT_GT(capped, 0);  // the tail did reach the cap: the bound above was exercised
}

TEST(Distribution, VariabilityMatchesTheDeclaredShape) {
  EXPECT_NEAR(sample_moments(Distribution::exponential(1e6), 200000).scv, 1.0, 0.03);
  EXPECT_NEAR(sample_moments(Distribution::erlang(4, 1e6), 200000).scv, 0.25, 0.01);
  EXPECT_NEAR(sample_moments(Distribution::lognormal(1e6, 0.5), 200000).scv, 0.25, 0.02);
  EXPECT_EQ(sample_moments(Distribution::constant(5), 1000).scv, 0.0);
}

TEST(Distribution, ScalingMultipliesTheMean) {
  EXPECT_DOUBLE_EQ(Distribution::uniform(1, 3).scaled(10).mean(), 20);
  EXPECT_DOUBLE_EQ(Distribution::lognormal(2, 0.5).scaled(3).mean(), 6);
  EXPECT_DOUBLE_EQ(Distribution::lognormal(2, 0.5).scaled(3).scv(), 0.25);
}

}  // namespace
}  // namespace qlab
