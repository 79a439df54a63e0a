#pragma once
// Text forms of durations ("1.5ms"), rates ("7.2/s") and sizes ("4KiB") as workloads/README.md defines them.
// Parsing throws UnitError whose message says what was expected; callers add the location.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "time.hpp"

namespace qlab {

struct UnitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exact: "1.5ms" is 1'500'000 ns. Units: ns, us, ms, s, m, h. A bare number is an error.
Time parse_duration(std::string_view text);
// Messages per second. Units after the slash: s, m, h (also ms, us).
double parse_rate(std::string_view text);
// Bytes. Units: B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB (powers of 1024).
std::int64_t parse_size(std::string_view text);

// The shortest text that parses back to exactly `t`: 1500000 -> "1.5ms".
std::string format_duration(Time t);
std::string format_rate(double per_second);
std::string format_size(std::int64_t bytes);

}  // namespace qlab
