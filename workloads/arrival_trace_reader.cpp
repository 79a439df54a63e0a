#include "workloads/arrival_trace_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/units.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_limits.hpp"
#include "workloads/yaml_document.hpp"

namespace qlab::workloads {
namespace {

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t\r") - first + 1));
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(trim(cell));
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

bool whole(const std::string& text, std::uint64_t& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

ArrivalTrace read_arrival_trace(const std::string& path, const std::string& shown) {
  const std::string text = read_text_file(path, "an arrival trace (CSV)");
  std::stringstream in(text);
  std::string line;
  std::size_t number = 0;
  const auto fail = [&](const std::string& what, const std::string& expected) -> void {
    throw ScenarioError(shown + ":" + std::to_string(number) + ": " + what + " (expected " + expected + ")");
  };
  while (line.empty() && std::getline(in, line)) {
    ++number;
    line = trim(line);
  }
  int time_column = -1;
  int key_column = -1;
  int size_column = -1;
  const std::vector<std::string> header = split(line);
  for (std::size_t c = 0; c < header.size(); ++c) {
    int* column = header[c] == "time" ? &time_column : header[c] == "key" ? &key_column : header[c] == "size" ? &size_column : nullptr;
    if (column == nullptr || *column >= 0) {
      fail("header column '" + header[c] + "' is " + (column ? "repeated" : "unknown"), "a header of time, key and size columns");
    }
    *column = static_cast<int>(c);
  }
  if (time_column < 0) fail("the header has no time column", "a header such as time,key,size");

  ArrivalTrace trace;
  trace.file = shown;
  while (std::getline(in, line)) {
    ++number;
    if (trim(line).empty()) continue;
    const std::vector<std::string> cells = split(trim(line));
    if (cells.size() != header.size()) {
      fail(std::to_string(cells.size()) + " values", std::to_string(header.size()) + " values, one per header column");
    }
    const std::string& t = cells[static_cast<std::size_t>(time_column)];
    Time time = 0;
    try {
      const bool has_unit = std::any_of(t.begin(), t.end(), [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) && ch != 'e'; });
      if (has_unit) {
        time = parse_duration(t);
      } else {
        std::size_t used = 0;
        const double seconds = std::stod(t, &used);
        if (used != t.size() || !(seconds >= 0) || seconds * 1e9 >= static_cast<double>(kMaxHorizon)) throw UnitError("");
        time = static_cast<Time>(std::llround(seconds * 1e9));
      }
    } catch (const std::exception&) {
      fail("time '" + t + "' is not a time", "seconds such as 12.5, or a duration such as 300ms, within 146 years");
    }
    if (!trace.times.empty() && time < trace.times.back()) fail("time '" + t + "' is before the previous arrival", "non-decreasing times");
    trace.times.push_back(time);
    if (key_column >= 0) {
      std::uint64_t key = 0;
      if (!whole(cells[static_cast<std::size_t>(key_column)], key)) {
        fail("key '" + cells[static_cast<std::size_t>(key_column)] + "' is not a whole number", "a key from 0 to 2^64-1");
      }
      trace.keys.push_back(key);
    }
    if (size_column >= 0) {
      const std::string& s = cells[static_cast<std::size_t>(size_column)];
      std::uint64_t bytes = 0;
      std::int64_t size = -1;
      try {
        size = whole(s, bytes) ? static_cast<std::int64_t>(std::min<std::uint64_t>(bytes, kMaxMessageSize + 1)) : parse_size(s);
      } catch (const UnitError&) {
      }
      if (size < 0 || size > kMaxMessageSize) fail("size '" + s + "' is not a size", "bytes from 0 to 4294967295, or a size such as 4KiB");
      trace.sizes.push_back(static_cast<std::uint32_t>(size));
    }
  }
  if (trace.times.empty()) fail("the trace has no arrivals", "a header line and at least one arrival");
  const std::size_t n = trace.times.size();
  const Time last = trace.times.back();
  trace.period = last + (n > 1 ? last / static_cast<Time>(n - 1) : last);
  return trace;
}

}  // namespace qlab::workloads
