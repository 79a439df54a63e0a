#include "bench/results_columns.hpp"

#include <algorithm>
#include <charconv>

#include <yaml-cpp/yaml.h>

#include "core/units.hpp"

namespace qlab::bench {
namespace {

constexpr const char* kQueue = "queue";

// The keys of a swept `queue` map, design aside; none when the text is not a map.
std::vector<std::string> queue_keys(const std::string& text) {
  std::vector<std::string> keys;
  try {
    const YAML::Node map = YAML::Load(text);
    if (!map.IsMap()) return keys;
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      if (key != "design") keys.push_back(key);
    }
  } catch (const YAML::Exception&) {
  }
  return keys;
}

// The value of `key` in a swept `queue` map, as text ("" when the map does not set it).
std::string queue_value(const std::string& text, const std::string& key) {
  try {
    const YAML::Node map = YAML::Load(text);
    if (map.IsMap() && map[key] && map[key].IsScalar()) return map[key].Scalar();
  } catch (const YAML::Exception&) {
  }
  return "";
}

bool is_plain_number(const std::string& text) {
  double number = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, number);
  return ec == std::errc{} && p == end;
}

}  // namespace

std::string number_text(double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return std::string(text, end);
}

std::optional<double> numeric_value(const std::string& text) {
  if (is_plain_number(text)) return std::stod(text);
  try {
    return to_seconds(parse_duration(text));
  } catch (const UnitError&) {
  }
  try {
    return parse_rate(text);
  } catch (const UnitError&) {
  }
  try {
    return static_cast<double>(parse_size(text));
  } catch (const UnitError&) {
  }
  return std::nullopt;
}

std::vector<ResultColumn> result_columns(const Suite& suite) {
  std::vector<std::string> paths;
  const auto add = [&paths](const std::string& path) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  };
  for (const std::string& path : suite.param_columns()) {
    if (path != kQueue) {
      add(path);
      continue;
    }
    for (const SuitePoint* point : suite.points()) {
      for (const std::string& key : queue_keys(point->param(kQueue))) add(std::string(kQueue) + "." + key);
    }
  }
  std::vector<ResultColumn> columns;
  for (const std::string& path : paths) {
    columns.push_back({path, path, false});
    const auto points = suite.points();
    // A column of plain numbers is numeric already; one with units (40ms, 10/s) gets its numbers beside it.
    const bool numeric = std::any_of(points.begin(), points.end(), [&](const SuitePoint* p) {
      const std::string text = column_value(columns.back(), *p);
      return numeric_value(text).has_value() && !is_plain_number(text);
    });
    if (numeric) columns.push_back({path + "_si", path, true});
  }
  return columns;
}

std::string column_value(const ResultColumn& column, const SuitePoint& point) {
  std::string text = point.param(column.path);
  const std::string prefix = std::string(kQueue) + ".";
  if (text.empty() && column.path.starts_with(prefix)) text = queue_value(point.param(kQueue), column.path.substr(prefix.size()));
  if (!column.si) return text;
  const std::optional<double> value = numeric_value(text);
  return value ? number_text(*value) : "";
}

}  // namespace qlab::bench
