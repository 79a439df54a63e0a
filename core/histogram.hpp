#pragma once
// A log-linear histogram of non-negative integers (nanoseconds, bytes): values below 256 are exact and
// every other bucket is at most 1/128 of its value wide, so any reported percentile is within 0.4% of the
// true sample value at any scale. Fixed memory (about 58 KiB); histograms merge by adding counts.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <vector>

#include "check.hpp"

namespace qlab {

class Histogram {
 public:
  Histogram();

  // Inline: the simulator records two or three values per message.
  void record(std::int64_t value) {
    QLAB_CHECK(value >= 0, "histogram values are non-negative");
    ++buckets_[bucket_of(value)];
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    ++count_;
    sum_ += static_cast<Sum>(value);
  }
  void record_n(std::int64_t value, std::uint64_t n);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ == 0 ? 0 : min_; }
  std::int64_t max() const { return count_ == 0 ? 0 : max_; }
  double mean() const;
  // Nearest-rank percentile, q in [0, 1]; the bucket's midpoint clamped to [min, max]. 0 when empty.
  std::int64_t percentile(double q) const;

  // Visits the non-empty buckets in increasing order as [lower, upper) with their counts.
  void for_each_bucket(const std::function<void(std::int64_t lower, std::int64_t upper, std::uint64_t count)>& visit) const;

  static std::size_t bucket_of(std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(value);
    const int msb = 63 - std::countl_zero(v | 1);
    const int shift = std::max(0, msb - kMantissaBits);
    return static_cast<std::size_t>(shift) * kSubBuckets + (v >> shift);
  }
  static std::int64_t bucket_lower(std::size_t index);
  static std::int64_t bucket_upper(std::size_t index);

 private:
  static constexpr int kMantissaBits = 7;  // 128 sub-buckets per power of two
  static constexpr std::int64_t kSubBuckets = 1 << kMantissaBits;
  static constexpr std::size_t kBucketCount = static_cast<std::size_t>(kSubBuckets) * (64 - kMantissaBits);

  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  // Start so that the first value sets both (values are non-negative); read only when count_ > 0.
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
  __extension__ typedef unsigned __int128 Sum;  // GCC/Clang built-in
  Sum sum_ = 0;  // exact: 2^64 values of up to 2^63 ns cannot overflow it
};

}  // namespace qlab
