#include "units.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qlab {
namespace {

__extension__ typedef __int128 Int128;  // GCC/Clang built-in: exact decimal scaling without overflow

struct Unit {
  std::string_view name;
  std::int64_t scale;
};

constexpr std::array<Unit, 6> kDurationUnits{{
    {"h", 3600 * kSecond}, {"m", 60 * kSecond}, {"s", kSecond},
    {"ms", kMillisecond}, {"us", kMicrosecond}, {"ns", kNanosecond},
}};

constexpr std::array<Unit, 7> kSizeUnits{{
    {"GiB", 1LL << 30}, {"MiB", 1LL << 20}, {"KiB", 1LL << 10},
    {"GB", 1'000'000'000}, {"MB", 1'000'000}, {"KB", 1'000}, {"B", 1},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "1.5ms" into the number "1.5" and the unit "ms". Accepts digits with at most one '.'.
bool split_number(std::string_view text, std::string_view& number, std::string_view& unit) {
  std::size_t i = 0;
  bool seen_digit = false;
  bool seen_dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      seen_digit = true;
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  number = text.substr(0, i);
  unit = trim(text.substr(i));
  return seen_digit;
}

// number * scale, exactly, for a non-negative decimal number; throws when the result is not whole.
std::int64_t scale_decimal(std::string_view number, std::int64_t scale, std::string_view what) {
  const auto dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
  Int128 value = 0;
  for (char c : whole) {
    value = value * 10 + (c - '0');
    if (value > (static_cast<Int128>(1) << 62)) throw UnitError(std::string(what) + " is too large");
  }
  value *= scale;
  Int128 divisor = 1;
  Int128 frac = 0;
  for (char c : fraction) {
    frac = frac * 10 + (c - '0');
    divisor *= 10;
    if (divisor > static_cast<Int128>(1e30)) throw UnitError(std::string(what) + " has too many decimals");
  }
  const Int128 scaled = frac * scale;
  if (scaled % divisor != 0) throw UnitError(std::string(what) + " is finer than the smallest unit");
  value += scaled / divisor;
  if (value > static_cast<Int128>(INT64_MAX / 2)) throw UnitError(std::string(what) + " is too large");
  return static_cast<std::int64_t>(value);
}

template <std::size_t N>
std::string format_scaled(std::int64_t value, const std::array<Unit, N>& units) {
  if (value == 0) return "0" + std::string(units.back().name);
  for (const Unit& unit : units) {
    if (value % unit.scale == 0) return std::to_string(value / unit.scale) + std::string(unit.name);
  }
  return std::to_string(value) + std::string(units.back().name);
}

}  // namespace

Time parse_duration(std::string_view text) {
  text = trim(text);
  std::string_view number;
  std::string_view unit;
  if (!split_number(text, number, unit)) {
    throw UnitError("expected a duration such as 250ms, 1.5s or 2m, got '" + std::string(text) + "'");
  }
  if (unit.empty()) {
    throw UnitError("'" + std::string(text) + "' has no unit (expected one of ns, us, ms, s, m, h, e.g. " +
                    std::string(number) + "s)");
  }
  for (const Unit& u : kDurationUnits) {
    if (u.name == unit) return scale_decimal(number, u.scale, "duration");
  }
  throw UnitError("unknown duration unit '" + std::string(unit) + "' (expected one of ns, us, ms, s, m, h)");
}

double parse_rate(std::string_view text) {
  text = trim(text);
  const auto slash = text.find('/');
  std::string_view number = trim(text.substr(0, slash));
  if (slash == std::string_view::npos) {
    throw UnitError("'" + std::string(text) + "' is not a rate (expected messages per unit of time, e.g. " +
                    std::string(number.empty() ? "10" : number) + "/s)");
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size() || !(value >= 0) || !std::isfinite(value)) {
    throw UnitError("expected a rate such as 7.2/s, 300/m or 10/h, got '" + std::string(text) + "'");
  }
  const std::string_view unit = trim(text.substr(slash + 1));
  for (const Unit& u : kDurationUnits) {
    // One exact-as-possible operation, so "7.2/s" is 7.2 and format_rate() round-trips.
    if (u.name == unit) return u.scale >= kSecond ? value / static_cast<double>(u.scale / kSecond)
                                                  : value * static_cast<double>(kSecond / u.scale);
  }
  throw UnitError("unknown rate unit '/" + std::string(unit) + "' (expected /s, /m or /h)");
}

std::int64_t parse_size(std::string_view text) {
  text = trim(text);
  std::string_view number;
  std::string_view unit;
  if (!split_number(text, number, unit)) {
    throw UnitError("expected a size such as 100B, 4KiB or 1MB, got '" + std::string(text) + "'");
  }
  if (unit.empty()) {
    throw UnitError("'" + std::string(text) + "' has no unit (expected one of B, KB, KiB, MB, MiB, GB, GiB, e.g. " +
                    std::string(number) + "B)");
  }
  for (const Unit& u : kSizeUnits) {
    if (u.name == unit) return scale_decimal(number, u.scale, "size");
  }
  throw UnitError("unknown size unit '" + std::string(unit) + "' (expected one of B, KB, KiB, MB, MiB, GB, GiB)");
}

std::string format_duration(Time t) {
  if (t < 0) return "-" + format_duration(-t);
  if (t == 0) return "0s";
  // Hours and minutes only when exact; otherwise the largest decimal unit (s, ms, us, ns) not above t,
  // with as many decimals as needed: 1500000 -> "1.5ms", 90s -> "90s", 120s -> "2m".
  for (const Unit& unit : {kDurationUnits[0], kDurationUnits[1]}) {
    if (t % unit.scale == 0) return std::to_string(t / unit.scale) + std::string(unit.name);
  }
  for (const Unit& unit : {kDurationUnits[2], kDurationUnits[3], kDurationUnits[4]}) {
    if (t < unit.scale) continue;
    if (t % unit.scale == 0) return std::to_string(t / unit.scale) + std::string(unit.name);
    char buffer[24];
    const int width = static_cast<int>(std::to_string(unit.scale).size()) - 1;
    std::snprintf(buffer, sizeof buffer, "%0*lld", width, static_cast<long long>(t % unit.scale));
    std::string digits = buffer;
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return std::to_string(t / unit.scale) + "." + digits + std::string(unit.name);
  }
  return std::to_string(t) + "ns";
}

std::string format_rate(double per_second) {
  // The shortest plain decimal that reads back as the same double ("40/s", "7.2/s", "0.01/s").
  char candidate[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(candidate, sizeof candidate, "%.*g", precision, per_second);
    if (std::strchr(candidate, 'e') == nullptr && std::strtod(candidate, nullptr) == per_second) {
      return std::string(candidate) + "/s";
    }
  }
  std::snprintf(candidate, sizeof candidate, "%.17f", per_second);
  std::string text = candidate;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "/s";
}

std::string format_size(std::int64_t bytes) { return format_scaled(bytes, kSizeUnits); }

}  // namespace qlab
