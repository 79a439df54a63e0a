#pragma once
// The cells and the plain-text table of metric comparisons, shared by `qlab compare` (two results folders)
// and `qlab run --design a,b,c` (designs run at the same seeds).
#include <string>
#include <vector>

#include "metrics/results_comparison.hpp"

namespace qlab::cli {

using Table = std::vector<std::vector<std::string>>;

// Columns separated by two spaces; the first left-aligned, the others right-aligned.
std::string format_table(const Table& table);
// "1.23 s ± 45 ms", or "n/a" when the side did not measure the metric.
std::string side_cell(const std::string& key, const SideValue& side);
// "+1.2 s ± 300 ms *" (the mark when the CI excludes 0), or "-" without a difference.
std::string difference_cell(const MetricComparison& row);
// "+12.5 %", or "-" without a relative difference.
std::string relative_cell(const MetricComparison& row);

}  // namespace qlab::cli
