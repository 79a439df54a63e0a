#include "comparison_table.hpp"

#include <algorithm>
#include <cstdio>

#include "metrics_table.hpp"

namespace qlab::cli {
namespace {

std::string with_sign(const std::string& key, double value) {
  return (value > 0 ? "+" : "") + format_metric_value(key, value);
}

}  // namespace

std::string format_table(const Table& table) {
  const auto width = [](const std::string& s) {  // UTF-8 code points: "±" is one column
    std::size_t n = 0;
    for (const unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::vector<std::size_t> widths;
  for (const auto& row : table) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out;
  for (const auto& row : table) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - width(row[i]), ' ');
      line += "  " + (i == 0 ? row[i] + pad : pad + row[i]);
    }
    while (line.ends_with(' ')) line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string side_cell(const std::string& key, const SideValue& side) {
  if (!side.mean) return "n/a";
  std::string cell = format_metric_value(key, *side.mean);
  if (side.n >= 2 && side.ci95 != 0) cell += " ± " + format_metric_value(key, side.ci95);
  return cell;
}

std::string difference_cell(const MetricComparison& row) {
  if (!row.difference) return "-";
  std::string cell = with_sign(row.key, *row.difference);
  if (row.difference_ci95 && *row.difference_ci95 != 0) cell += " ± " + format_metric_value(row.key, *row.difference_ci95);
  return cell + (row.significant ? " *" : "  ");
}

std::string relative_cell(const MetricComparison& row) {
  if (!row.relative) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f %%", 100 * *row.relative);
  return text;
}

}  // namespace qlab::cli
