#include "key_distribution.hpp"

#include <algorithm>
#include <cmath>

#include "check.hpp"

namespace qlab {

KeyDistribution KeyDistribution::uniform(std::uint64_t count) {
  QLAB_CHECK(count >= 1, "a key distribution needs at least one key");
  KeyDistribution d;
  d.count_ = count;
  return d;
}

KeyDistribution KeyDistribution::zipf(std::uint64_t count, double exponent) {
  QLAB_CHECK(count >= 1 && count <= kMaxZipfKeys, "zipf key count out of range");
  KeyDistribution d;
  d.kind_ = Kind::zipf;
  d.count_ = count;
  d.exponent_ = exponent;
  auto table = std::make_shared<std::vector<double>>(count);
  double sum = 0;
  for (std::uint64_t k = 0; k < count; ++k) (*table)[k] = sum += std::pow(static_cast<double>(k + 1), -exponent);
  for (double& c : *table) c /= sum;
  table->back() = 1;
  d.cumulative_ = std::move(table);
  return d;
}

std::uint64_t KeyDistribution::sample(RandomStream& rng) const {
  if (kind_ == Kind::uniform) return rng.next_below(count_);
  const double u = rng.next_open01();
  const auto it = std::lower_bound(cumulative_->begin(), cumulative_->end(), u);
  return static_cast<std::uint64_t>(it - cumulative_->begin());
}

double KeyDistribution::probability(std::uint64_t key) const {
  if (key >= count_) return 0;
  if (kind_ == Kind::uniform) return 1.0 / static_cast<double>(count_);
  return (*cumulative_)[key] - (key == 0 ? 0 : (*cumulative_)[key - 1]);
}

}  // namespace qlab
