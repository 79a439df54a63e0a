#pragma once
// The parameter columns of results.csv, ready for data frames: a swept `queue` map is flattened into the
// design column and one `queue.KEY` column per parameter it sets, and every column with a value that has a
// unit (`40ms`, `10/s`, `64KiB`) is followed by `COLUMN_si`, the value as a number in SI base
// units (seconds, per second, bytes), so that `5s` sorts before `40s`.
#include <optional>
#include <string>
#include <vector>

#include "bench/suite.hpp"

namespace qlab::bench {

struct ResultColumn {
  std::string name;
  std::string path;     // the scenario path the value is taken from
  bool si = false;      // the value as a number in SI base units ("" when it is not one)
};

std::vector<ResultColumn> result_columns(const Suite& suite);
// The cell of `column` for `point`.
std::string column_value(const ResultColumn& column, const SuitePoint& point);

// A parameter value as a number for plotting: plain numbers as they are, durations in seconds, rates per
// second, sizes in bytes; nullopt otherwise (design names, maps).
std::optional<double> numeric_value(const std::string& text);
// The shortest text that reads back as exactly `value`.
std::string number_text(double value);

}  // namespace qlab::bench
