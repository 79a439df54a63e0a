#include "core/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/random_stream.hpp"

namespace qlab {
namespace {

TEST(Histogram, PercentilesAreWithinOnePercentAtAnyScale) {
  // Values spread over 12 orders of magnitude; every percentile must be within 1% of the exact one.
  RandomStream rng(3);
  std::vector<std::int64_t> values;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::int64_t>(std::exp(rng.next_open01() * 27.6));  // 1 .. ~1e12
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    const double exact = static_cast<double>(values[rank - 1]);
    EXPECT_NEAR(static_cast<double>(h.percentile(q)), exact, std::max(1.0, exact * 0.01)) << "q=" << q;
  }
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int v = 0; v < 256; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 127);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 255);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

TEST(Histogram, MergingEqualsRecordingEverythingInOne) {
  Histogram a;
  Histogram b;
  Histogram all;
  RandomStream rng(9);
  for (int i = 0; i < 5000; ++i) {
    const auto v = static_cast<std::int64_t>(rng.next_below(1'000'000'000));
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.percentile(q), all.percentile(q));
  EXPECT_EQ(a.max(), all.max());
}

TEST(Histogram, BucketBoundsContainTheirValues) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{255}, std::int64_t{256}, std::int64_t{1'000'001},
                         std::int64_t{1} << 50, (std::int64_t{1} << 62) + 12345}) {
    const std::size_t b = Histogram::bucket_of(v);
    EXPECT_LE(Histogram::bucket_lower(b), v);
    EXPECT_GT(Histogram::bucket_upper(b), v);
  }
}

}  // namespace
}  // namespace qlab
