#pragma once
// Summaries over independent repetitions: mean, Student-t 95% confidence half-width, min, max; and Welch's
// interval for the difference of two such means.
#include <cstddef>
#include <vector>

namespace qlab {

struct Summary {
  double mean = 0;
  double ci95 = 0;  // half-width; 0 with fewer than two values
  double min = 0;
  double max = 0;
};

// The two-sided 95% quantile of Student's t with `df` degrees of freedom (df >= 1).
double student_t95(std::size_t df);
Summary summarize(const std::vector<double>& values);

// Welch's t interval for mean(b) - mean(a) from independent samples of possibly unequal variance.
struct WelchInterval {
  double difference = 0;  // mean(b) - mean(a)
  double ci95 = 0;        // half-width
  double df = 0;          // Welch-Satterthwaite degrees of freedom (the quantile uses floor(df): conservative)
};
// Needs at least two values on each side (a checked precondition).
WelchInterval welch_interval(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace qlab
