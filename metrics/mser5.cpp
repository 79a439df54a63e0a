#include "mser5.hpp"

#include <limits>

namespace qlab {

std::size_t mser5_truncation(const std::vector<double>& series) {
  constexpr std::size_t kBatch = 5;
  const std::size_t batches = series.size() / kBatch;
  if (batches < 2) return 0;
  std::vector<double> means(batches);
  for (std::size_t j = 0; j < batches; ++j) {
    double sum = 0;
    for (std::size_t i = 0; i < kBatch; ++i) sum += series[j * kBatch + i];
    means[j] = sum / kBatch;
  }
  // Welford's update over the batch means from the end gives every candidate's statistic in O(batches)
  // without the cancellation of a sum-of-squares formula.
  double mean = 0;
  double spread = 0;  // sum of squared deviations from `mean`
  std::vector<double> statistic(batches / 2 + 1);
  for (std::size_t j = batches; j-- > 0;) {
    const auto remaining = static_cast<double>(batches - j);
    const double delta = means[j] - mean;
    mean += delta / remaining;
    spread += delta * (means[j] - mean);
    if (j < statistic.size()) statistic[j] = spread / (remaining * remaining);
  }
  std::size_t best = 0;
  double best_value = std::numeric_limits<double>::infinity();
  for (std::size_t d = 0; d < statistic.size(); ++d) {
    if (statistic[d] < best_value) {
      best_value = statistic[d];
      best = d;
    }
  }
  return best * kBatch;
}

}  // namespace qlab
