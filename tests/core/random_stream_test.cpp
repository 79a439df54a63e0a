#include "core/random_stream.hpp"

#include <gtest/gtest.h>

namespace qlab {
namespace {

TEST(RandomStream, DerivedStreamsDependOnlyOnSeedAndName) {
  RandomStream a = RandomStream::derive(42, "consumer/fast/3/service");
  RandomStream unrelated = RandomStream::derive(42, "consumer/slow/0/service");
  for (int i = 0; i < 10; ++i) unrelated.next_u64();
  RandomStream b = RandomStream::derive(42, "consumer/fast/3/service");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomStream, DifferentNamesGiveDifferentStreams) {
  RandomStream a = RandomStream::derive(42, "consumer/fast/3/service");
  RandomStream b = RandomStream::derive(42, "consumer/fast/4/service");
  EXPECT_NE(a.next_u64(), b.next_u64());
}

TEST(RandomStream, OpenUnitIntervalExcludesBothEnds) {
  RandomStream rng(1);
  for (int i = 0; i < 100000; ++i) {
    const double u = rng.next_open01();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(RandomStream, BoundedIntegersCoverTheRangeEvenly) {
  RandomStream rng(2);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) ++counts[rng.next_below(7)];
  // Each count is Binomial(70000, 1/7): mean 10000, standard deviation 92.6; allow 5 sigma.
  for (int c : counts) EXPECT_NEAR(c, 10000, 463);
}

TEST(RandomStream, RepetitionSeedsDiffer) {
  EXPECT_NE(repetition_seed(1, 0), repetition_seed(1, 1));
  EXPECT_NE(repetition_seed(1, 0), repetition_seed(2, 0));
}

}  // namespace
}  // namespace qlab
