#pragma once
// Warm-up detection by MSER-5 (White 1997; Franklin & White 2008): the truncation point that minimises the
// marginal standard error of the mean of what remains.
#include <cstddef>
#include <vector>

namespace qlab {

// The number of leading observations of `series` to drop. The series is cut into batches of 5 (a trailing
// partial batch is ignored); d batches are dropped, d in [0, batches / 2], choosing the d that minimises
// sum((b_j - mean)^2) / (batches - d)^2 over the remaining batch means b_j, the earliest d on ties.
// Returns 5 * d: an index into the original series. 0 for fewer than two batches.
std::size_t mser5_truncation(const std::vector<double>& series);

}  // namespace qlab
