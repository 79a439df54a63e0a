#include "g12_format.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/check.hpp"

namespace qlab {
namespace {

__extension__ typedef unsigned __int128 UInt128;  // GCC/Clang built-in

constexpr int kPrecision = 12;
constexpr std::uint64_t kLowest12 = 100'000'000'000;  // the smallest 12-digit number
// The exact path's range: |value| x 10^(11 - E) for E = -5 .. 14 is a 12-digit number times a power of two,
// and every product and quotient below fits in 128 bits.
constexpr double kSmallest = 1e-5;
constexpr double kLargest = 1e15;
constexpr int kLowestPower = -6;
constexpr double kPowersOf10[] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4,
                                  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

char* slow_g12(char* first, double value) {
  const std::to_chars_result result = std::to_chars(first, first + 32, value, std::chars_format::general, kPrecision);
  QLAB_CHECK(result.ec == std::errc{}, "the buffer holds any number");
  return result.ptr;
}

constexpr std::uint64_t power_of_5(int n) {
  std::uint64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 5;
  return p;
}

// floor(m x 2^q x 10^t) and how the rest compares with one half (-1 below, 0 equal, 1 above), exactly.
// Preconditions: m < 2^53, -4 <= t <= 17 (the exact path's, E = -6 .. 15 while it is corrected), so that
// 5^|t| fits in 64 bits and m x 5^t in 128, -q < 128, and the result below 2^64.
struct Scaled {
  std::uint64_t whole;
  int rest;
};
Scaled scale(std::uint64_t m, int q, int t) {
  if (t >= 0) {  // m x 5^t x 2^(q + t)
    const UInt128 a = static_cast<UInt128>(m) * power_of_5(t);
    const int shift = q + t;
    if (shift >= 0) return {static_cast<std::uint64_t>(a << shift), -1};
    const UInt128 rest = a & ((static_cast<UInt128>(1) << -shift) - 1);
    const UInt128 half = static_cast<UInt128>(1) << (-shift - 1);
    return {static_cast<std::uint64_t>(a >> -shift), rest < half ? -1 : rest == half ? 0 : 1};
  }
  // m x 2^q / (5^-t x 2^-t): as a fraction over 5^-t x 2^(-t - q), both sides in 128 bits.
  UInt128 numerator = m;
  UInt128 denominator = power_of_5(-t);
  const int shift = q + t;
  if (shift >= 0) {
    numerator <<= shift;
  } else {
    denominator <<= -shift;
  }
  const UInt128 rest = numerator % denominator;
  return {static_cast<std::uint64_t>(numerator / denominator), 2 * rest < denominator ? -1 : 2 * rest == denominator ? 0 : 1};
}

// The 12 digits of 10^11 <= n < 10^12 into out[0..12), two at a time from a table: the halves and pairs
// are computed side by side rather than as one chain of twelve divisions by ten.
constexpr char kPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";
void write_6_digits(char* out, std::uint32_t n) {
  const std::uint32_t rest = n % 10000;
  std::memcpy(out, kPairs + 2 * (n / 10000), 2);
  std::memcpy(out + 2, kPairs + 2 * (rest / 100), 2);
  std::memcpy(out + 4, kPairs + 2 * (rest % 100), 2);
}
void write_12_digits(char* out, std::uint64_t n) {
  write_6_digits(out, static_cast<std::uint32_t>(n / 1'000'000));
  write_6_digits(out + 6, static_cast<std::uint32_t>(n % 1'000'000));
}

// Copies 16 bytes: a fixed size compiles to two moves, where a variable one is a call. Callers copy at most
// 16 wanted characters and advance past the wanted ones only.
void copy_16(char* to, const char* from) { std::memcpy(to, from, 16); }

// Writes the `count` (>= 1) significant digits in digits[0..12) with decimal exponent `exponent` as %g does
// with precision 12: fixed unless the exponent is below -4 or at least 12. digits[count..12) are zeros and
// the array is readable to 32 bytes; `out` has room for 31 characters.
char* write_general(char* out, const char* digits, int count, int exponent) {
  if (exponent < -4 || exponent >= kPrecision) {
    out[0] = digits[0];
    out[1] = '.';
    copy_16(out + 2, digits + 1);
    out += count > 1 ? count + 1 : 1;  // no point without digits after it
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    const int magnitude = exponent < 0 ? -exponent : exponent;
    *out++ = static_cast<char>('0' + magnitude / 10);  // the exact path's exponents have two digits
    *out++ = static_cast<char>('0' + magnitude % 10);
    return out;
  }
  if (exponent < 0) {  // "0." and -exponent - 1 zeros (at most 3) before the digits
    std::memcpy(out, "0.000", 5);
    out += 1 - exponent;
    copy_16(out, digits);
    return out + count;
  }
  const int whole = exponent + 1;  // digits before the point (at most 12)
  copy_16(out, digits);
  if (count <= whole) return out + whole;  // the zeros up to the point are digits[count..whole)
  out[whole] = '.';
  copy_16(out + whole + 1, digits + whole);
  return out + count + 1;
}

}  // namespace

char* format_g12(char* first, double value) {
  const double magnitude = std::fabs(value);
  if (magnitude == 0) {  // common in results (idle_with_backlog, an unused phase)
    if (std::signbit(value)) *first++ = '-';
    *first++ = '0';
    return first;
  }
  if (!(magnitude >= kSmallest && magnitude < kLargest)) return slow_g12(first, value);  // NaN too
  // magnitude = m x 2^q exactly (a normal double: the implicit leading bit restored).
  const auto bits = std::bit_cast<std::uint64_t>(magnitude);
  const std::uint64_t m = (bits & ((std::uint64_t{1} << 52) - 1)) | (std::uint64_t{1} << 52);
  const int q = static_cast<int>(bits >> 52) - 1075;
  // The decimal exponent E (10^E <= magnitude < 10^(E+1)): from the binary exponent and a table of powers of
  // ten (those below 1 are not exact), then corrected so that floor(magnitude x 10^(11 - E)) has 12 digits.
  int exponent = ((q + 52) * 78913) >> 18;  // floor(log10(2^(q + 52))): E or E - 1
  if (magnitude >= kPowersOf10[exponent + 1 - kLowestPower]) ++exponent;
  Scaled scaled = scale(m, q, kPrecision - 1 - exponent);
  if (scaled.whole >= 10 * kLowest12) {
    scaled = scale(m, q, kPrecision - 1 - ++exponent);
  } else if (scaled.whole < kLowest12) {
    scaled = scale(m, q, kPrecision - 1 - --exponent);
  }
  // Round to nearest, ties to even, as printf.
  std::uint64_t rounded = scaled.whole;
  if (scaled.rest > 0 || (scaled.rest == 0 && rounded % 2 == 1)) ++rounded;
  if (rounded == 10 * kLowest12) {  // 999999999999.5 became 10^12
    rounded = kLowest12;
    ++exponent;
  }
  char digits[32];
  write_12_digits(digits, rounded);
  std::memset(digits + kPrecision, '0', sizeof digits - kPrecision);  // read by write_general's copies, not written
  int count = kPrecision;
  while (digits[count - 1] == '0') --count;  // the first digit is not 0
  if (std::signbit(value)) *first++ = '-';
  return write_general(first, digits, count, exponent);
}

}  // namespace qlab
