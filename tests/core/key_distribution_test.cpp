// Key draws against their probabilities: each key's count over 200,000 draws (fixed seed) lies within 4
// binomial standard deviations of n x p (a two-sided level of 6e-5 per key, 99.7% over the 50 checked).
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/key_distribution.hpp"

namespace qlab {
namespace {

void expect_frequencies(const KeyDistribution& keys, double (*probability)(std::uint64_t)) {
  constexpr int kDraws = 200'000;
  RandomStream rng = RandomStream::derive(5, "keys");
  std::vector<double> seen(keys.count(), 0);
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t k = keys.sample(rng);
    ASSERT_LT(k, keys.count());
    seen[k] += 1;
  }
  for (std::uint64_t k = 0; k < std::min<std::uint64_t>(keys.count(), 25); ++k) {
    const double p = probability(k);
    EXPECT_NEAR(keys.probability(k), p, 1e-12);
    EXPECT_NEAR(seen[k], kDraws * p, 4 * std::sqrt(kDraws * p * (1 - p))) << "key " << k;
  }
}

TEST(KeyDistribution, UniformKeysAreEquallyLikely) {
  expect_frequencies(KeyDistribution::uniform(25), [](std::uint64_t) { return 1.0 / 25; });
}

TEST(KeyDistribution, ZipfKeysFollowTheirPowerLaw) {
  // s = 1.1 over 1000 keys: the weights 1/(k+1)^1.1 normalised.
  static double norm = 0;
  for (int k = 1; k <= 1000; ++k) norm += std::pow(k, -1.1);
  expect_frequencies(KeyDistribution::zipf(1000, 1.1), [](std::uint64_t k) { return std::pow(static_cast<double>(k + 1), -1.1) / norm; });
}

}  // namespace
}  // namespace qlab
