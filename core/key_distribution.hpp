#pragma once
// Message keys for designs that route by key (partitioned, share_group, fifo_groups, hash assignment):
// uniform over `count` keys, or Zipf with exponent s (key k, from 0, has weight 1 / (k + 1)^s). A key is
// its number, 0 .. count-1.
#include <cstdint>
#include <memory>
#include <vector>

#include "random_stream.hpp"

namespace qlab {

class KeyDistribution {
 public:
  enum class Kind { uniform, zipf };
  static KeyDistribution uniform(std::uint64_t count);
  static KeyDistribution zipf(std::uint64_t count, double exponent);  // count <= kMaxZipfKeys

  std::uint64_t sample(RandomStream& rng) const;
  // The probability of key `key` (tests, plots).
  double probability(std::uint64_t key) const;
  Kind kind() const { return kind_; }
  std::uint64_t count() const { return count_; }
  double exponent() const { return exponent_; }

  // Zipf keys are drawn from a table of `count` cumulative weights (8 bytes each).
  static constexpr std::uint64_t kMaxZipfKeys = 1'000'000;

 private:
  Kind kind_ = Kind::uniform;
  std::uint64_t count_ = 1;
  double exponent_ = 0;
  std::shared_ptr<const std::vector<double>> cumulative_;  // zipf: normalised, the last is 1
};

}  // namespace qlab
