#pragma once
// Summaries over independent repetitions: mean, Student-t 95% confidence half-width, min, max.
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

}  // namespace qlab
