#include "workloads/cost_units.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/units.hpp"

namespace qlab::workloads {
namespace {

struct Unit {
  std::string_view name;
  double scale;
};

// The decimal number at the front of `text` (digits with at most one '.') times the scale of the unit after
// it; `units` lists what may follow; `expected` ends the error message.
template <std::size_t N>
double scaled_number(std::string_view text, const std::array<Unit, N>& units, const std::string& expected) {
  const std::size_t end = std::min(text.size(), text.find_first_not_of("0123456789."));
  const std::string digits(text.substr(0, end));
  if (digits.find_first_of("0123456789") == std::string::npos || std::count(digits.begin(), digits.end(), '.') > 1) {
    throw UnitError("'" + std::string(text) + "' is not " + expected);
  }
  const double number = std::strtod(digits.c_str(), nullptr);
  const std::string_view unit = text.substr(end);
  for (const Unit& u : units) {
    if (unit == u.name) return number * u.scale;
  }
  throw UnitError("'" + std::string(text) + "' has no known unit: expected " + expected);
}

std::string shortest(double value, const char* unit) {
  char text[48];
  std::snprintf(text, sizeof text, "%.9g%s", value, unit);
  return text;
}

}  // namespace

double parse_per_byte(std::string_view text) {
  static constexpr std::array<Unit, 5> kUnits{{{"ps", 1e-3}, {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}}};
  return scaled_number(text, kUnits, "a duration per byte such as 1ns or 0.25ns (units ps, ns, us, ms, s)");
}

double parse_bandwidth(std::string_view text) {
  static constexpr std::array<Unit, 11> kUnits{{{"bit/s", 0.125},
                                                {"Kbit/s", 125.0},
                                                {"Mbit/s", 125e3},
                                                {"Gbit/s", 125e6},
                                                {"B/s", 1},
                                                {"KB/s", 1e3},
                                                {"MB/s", 1e6},
                                                {"GB/s", 1e9},
                                                {"KiB/s", 1024.0},
                                                {"MiB/s", 1048576.0},
                                                {"GiB/s", 1073741824.0}}};
  return scaled_number(text, kUnits, "a bandwidth such as 1Gbit/s, 100Mbit/s or 125MB/s");
}

std::string format_per_byte(double ns) { return ns >= 1 || ns == 0 ? shortest(ns, "ns") : shortest(ns * 1e3, "ps"); }

std::string format_bandwidth(double bytes_per_second) {
  const double bits = bytes_per_second * 8;
  if (bits >= 1e9) return shortest(bits / 1e9, "Gbit/s");
  if (bits >= 1e6) return shortest(bits / 1e6, "Mbit/s");
  return shortest(bits / 1e3, "Kbit/s");
}

}  // namespace qlab::workloads
