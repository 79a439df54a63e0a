#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "check.hpp"

namespace qlab {

Histogram::Histogram() : buckets_(kBucketCount, 0) {}

std::int64_t Histogram::bucket_lower(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * kSubBuckets) return i;
  const std::int64_t shift = i / kSubBuckets - 1;
  const std::int64_t mantissa = i - shift * kSubBuckets;
  return mantissa << shift;
}

std::int64_t Histogram::bucket_upper(std::size_t index) {
  const auto i = static_cast<std::int64_t>(index);
  if (i < 2 * kSubBuckets) return i + 1;
  const std::int64_t shift = i / kSubBuckets - 1;
  return bucket_lower(index) + (std::int64_t{1} << shift);
}

void Histogram::record_n(std::int64_t value, std::uint64_t n) {
  QLAB_CHECK(value >= 0, "histogram values are non-negative");
  if (n == 0) return;
  buckets_[bucket_of(value)] += n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  count_ += n;
  sum_ += static_cast<Sum>(value) * n;
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double Histogram::mean() const {
  if (count_ == 0) return 0.0;
  // Whole part exactly, then the remainder: keeps full double precision however large the sum.
  const auto whole = static_cast<double>(sum_ / count_);
  return whole + static_cast<double>(sum_ % count_) / static_cast<double>(count_);
}

std::int64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const std::int64_t lower = bucket_lower(i);
      const std::int64_t mid = lower + (bucket_upper(i) - lower - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

void Histogram::for_each_bucket(
    const std::function<void(std::int64_t, std::int64_t, std::uint64_t)>& visit) const {
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (buckets_[i] != 0) visit(bucket_lower(i), bucket_upper(i), buckets_[i]);
  }
}

}  // namespace qlab
