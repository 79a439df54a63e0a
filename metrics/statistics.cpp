#include "statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/check.hpp"

namespace qlab {
namespace {

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Unbiased sample variance around `mean` (n - 1 in the denominator); needs two values or more.
double sample_variance(const std::vector<double>& values, double mean) {
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return squares / static_cast<double>(values.size() - 1);
}

}  // namespace

double student_t95(std::size_t df) {
  // Exact table to 30 degrees of freedom, then the Cornish-Fisher expansion around z = 1.959964,
  // which is within 1e-4 of the true quantile from df = 30 on.
  static constexpr double kTable[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
                                      2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
                                      2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
                                      2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df == 0) return 0;
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959963984540054;
  const double n = static_cast<double>(df);
  const double z3 = z * z * z;
  const double z5 = z3 * z * z;
  return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n);
}

Summary summarize(const std::vector<double>& values) {
  Summary s;
  if (values.empty()) return s;
  const auto n = static_cast<double>(values.size());
  s.mean = mean_of(values);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  // Equal values: exactly that value with a zero interval, not one of rounding noise (a mean of equal doubles
  // can differ from them in the last bit, and their "variance" is then 1e-30, not 0).
  if (s.min == s.max) {
    s.mean = s.min;
    return s;
  }
  if (values.size() > 1) {
    s.ci95 = student_t95(values.size() - 1) * std::sqrt(sample_variance(values, s.mean)) / std::sqrt(n);
  }
  return s;
}

WelchInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b) {
  QLAB_CHECK(a.size() >= 2 && b.size() >= 2, "Welch's interval needs two values or more per side");
  const double mean_a = mean_of(a);
  const double mean_b = mean_of(b);
  const double na = static_cast<double>(a.size());
  const double nb = static_cast<double>(b.size());
  const double va = sample_variance(a, mean_a) / na;  // squared standard errors of each mean
  const double vb = sample_variance(b, mean_b) / nb;
  WelchInterval w;
  w.difference = mean_b - mean_a;
  const double se2 = va + vb;
  // Both samples constant: a zero-width interval; the pooled df is then only informative.
  w.df = se2 == 0 ? na + nb - 2 : se2 * se2 / (va * va / (na - 1) + vb * vb / (nb - 1));
  w.ci95 = student_t95(static_cast<std::size_t>(std::floor(w.df))) * std::sqrt(se2);
  return w;
}

}  // namespace qlab
