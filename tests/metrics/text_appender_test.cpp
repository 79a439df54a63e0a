// TextAppender must write exactly what the std::ostringstream with precision(12) it replaced wrote, so that
// results files stay byte-identical: every value here is compared against that ostream, never a fixed string.
#include "metrics/text_appender.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "core/time.hpp"

namespace qlab {
namespace {

template <class T>
std::string through_ostream(const T& value) {
  std::ostringstream out;
  out.precision(12);
  out << value;
  return out.str();
}

template <class T>
std::string through_appender(const T& value) {
  TextAppender out;
  out << value;
  return std::string(out.text());
}

// Compares every value, reporting the first few that differ (bit pattern included: -0.0 prints like 0.0
// in a failure message otherwise).
template <class T>
void expect_as_ostream(const std::vector<T>& values) {
  int reported = 0;
  std::size_t differing = 0;
  for (const T& value : values) {
    const std::string expected = through_ostream(value);
    const std::string actual = through_appender(value);
    if (actual == expected) continue;
    ++differing;
    if (reported++ < 10) ADD_FAILURE() << "ostream wrote \"" << expected << "\", TextAppender \"" << actual << "\"";
  }
  EXPECT_EQ(differing, 0u) << "of " << values.size() << " values";
}

std::vector<double> with_neighbours(const std::vector<double>& values) {
  std::vector<double> all;
  for (const double v : values) {
    all.push_back(v);
    all.push_back(std::nextafter(v, std::numeric_limits<double>::infinity()));
    all.push_back(std::nextafter(v, -std::numeric_limits<double>::infinity()));
  }
  return all;
}

TEST(TextAppender, RandomDoublesAcrossMagnitudesAsOstream) {
  std::mt19937_64 random(20261130);
  std::uniform_real_distribution<double> mantissa(1, 10);
  std::uniform_int_distribution<int> exponent(-300, 300);
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) {
    const double v = mantissa(random) * std::pow(10.0, exponent(random));
    values.push_back(i % 2 ? -v : v);
  }
  expect_as_ostream(values);
}

TEST(TextAppender, RandomBitPatternsAsOstream) {
  // Every finite double is as likely as any other bit pattern: subnormals and the extremes included.
  std::mt19937_64 random(7);
  std::vector<double> values;
  while (values.size() < 50000) {
    const double v = std::bit_cast<double>(random());
    if (std::isfinite(v)) values.push_back(v);
  }
  expect_as_ostream(values);
}

TEST(TextAppender, IntegersAsDoublesAsOstream) {
  std::vector<double> values;
  for (int i = -1000; i <= 100000; ++i) values.push_back(i);
  for (double p = 1; p < 1e22; p *= 10) {
    for (const double v : {p - 1, p, p + 1, -p}) values.push_back(v);
  }
  for (int k = 0; k < 1024; ++k) values.push_back(std::ldexp(1.0, k));
  expect_as_ostream(values);
}

TEST(TextAppender, RoundingEdgesAsOstream) {
  // Halfway between two 12-digit decimals, and the doubles on either side of each, at every magnitude; and
  // around where %.12g switches between fixed and scientific notation (1e-4 and 1e12).
  std::mt19937_64 random(12);
  std::uniform_int_distribution<std::int64_t> digits(100000000000, 999999999999);
  std::vector<double> edges;
  for (int e = -320; e <= 300; ++e) {
    for (int i = 0; i < 20; ++i) edges.push_back((static_cast<double>(digits(random)) + 0.5) * std::pow(10.0, e));
  }
  for (const double v : {1e-4, 1e-5, 9.999999999995e-5, 9.9999999999995e-5, 1e12, 999999999999.5, 999999999999.4,
                         99999999999.95, 0.5, 0.05, 1.5e-4, 2.5, 0.1 + 0.2}) {
    edges.push_back(v);
    edges.push_back(-v);
  }
  expect_as_ostream(with_neighbours(edges));
}

// format_g12 computes the digits of 1e-5 <= |x| < 1e15 in integers (other values go to std::to_chars): at
// each of those decades, random values, the exact halves between two 12-digit decimals (ties, rounded to
// even) and the decimals just beside them, the powers of ten and 9.99999999999x below them, the range's
// ends, and the neighbours of them all.
TEST(TextAppender, DoublesOfTheIntegerPathAsOstream) {
  std::mt19937_64 random(1015);
  std::uniform_real_distribution<double> unit(1, 10);
  std::uniform_int_distribution<std::int64_t> digits(100000000000, 999999999999);
  std::vector<double> values{1e-5, 1e15, 9.99999999999e-6, 9.999999999995e-6, 999999999999999.9};
  for (int e = -5; e <= 14; ++e) {
    const double decade = std::pow(10.0, e);
    values.push_back(decade);
    values.push_back(9.999999999995 * decade / 10);
    values.push_back(9.9999999999949 * decade / 10);
    for (int i = 0; i < 2000; ++i) {
      values.push_back(unit(random) * decade);
      const double tie = (static_cast<double>(digits(random)) + 0.5) * std::pow(10.0, e - 11);
      values.push_back(tie);
      values.push_back(-tie);
    }
  }
  for (std::int64_t d = 100000000000; d < 100000000020; ++d) values.push_back(static_cast<double>(d) + 0.5);  // exact ties
  expect_as_ostream(with_neighbours(values));
}

TEST(TextAppender, SpecialDoublesAsOstream) {
  using limits = std::numeric_limits<double>;
  expect_as_ostream(std::vector<double>{0.0, -0.0, limits::denorm_min(), -limits::denorm_min(), limits::min(),
                                        limits::max(), limits::lowest(), limits::epsilon(), 1e-300, 1e300,
                                        limits::infinity(), -limits::infinity(), limits::quiet_NaN(),
                                        -limits::quiet_NaN()});
}

TEST(TextAppender, SecondsAsOstream) {
  // What the CSVs mostly hold: to_seconds of nanosecond times, from 1 ns to about a year, and ratios of them.
  std::mt19937_64 random(3);
  std::vector<double> values;
  for (int i = 0; i < 50000; ++i) {
    const Time t = static_cast<Time>(random() >> std::uniform_int_distribution<int>(8, 63)(random));
    values.push_back(to_seconds(t));
    values.push_back(to_seconds(t) / to_seconds(t + 1 + static_cast<Time>(random() % kSecond)));
  }
  expect_as_ostream(values);
}

template <class T>
std::vector<T> integers_of(std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<T> values{0, 1, 9, 10, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()};
  if constexpr (std::is_signed_v<T>) values.insert(values.end(), {-1, -9, -10, std::numeric_limits<T>::min() + 1});
  for (int i = 0; i < 10000; ++i) values.push_back(static_cast<T>(random() >> (random() % 64)));
  return values;
}

TEST(TextAppender, IntegersOfEveryWidthAsOstream) {
  expect_as_ostream(integers_of<std::uint32_t>(1));
  expect_as_ostream(integers_of<std::int64_t>(2));
  expect_as_ostream(integers_of<std::uint64_t>(3));
  expect_as_ostream(integers_of<std::size_t>(4));
  expect_as_ostream(integers_of<int>(5));
}

TEST(TextAppender, TextAndARowAsOstream) {
  expect_as_ostream(std::vector<std::string>{"", "fast[3]", "lost:crash", std::string(1000, 'x')});
  expect_as_ostream(std::vector<char>{',', '\n', '@', 'a'});
  expect_as_ostream(std::vector<const char*>{"", ";", "repetition,t"});

  // A mixed row as the CSV writers build it: pieces are appended, nothing in between.
  std::ostringstream expected;
  expected.precision(12);
  TextAppender actual;
  const auto row = [](auto& out) {
    out << std::uint32_t{4} << ',' << std::string("fast[3]") << ',' << std::uint64_t{18446744073709551615u} << ','
        << to_seconds(123456789012345) << ',' << -0.0 << ',' << std::int64_t{-7} << ';' << "" << 1.0 / 3 << '\n';
  };
  row(expected);
  row(actual);
  EXPECT_EQ(actual.text(), expected.str());
}

// One appender through many growths of its buffer, with pieces small and larger than all it held before.
TEST(TextAppender, ALongTextAsOstream) {
  std::ostringstream expected;
  expected.precision(12);
  TextAppender actual;
  for (int i = 0; i < 20000; ++i) {
    const std::string piece(static_cast<std::size_t>(i % 97 == 0 ? 3 * i : i % 5), static_cast<char>('a' + i % 26));
    expected << i << ',' << piece << ',' << i / 7.0 << '\n';
    actual << i << ',' << piece << ',' << i / 7.0 << '\n';
  }
  EXPECT_EQ(actual.text(), expected.str());
}

TEST(TextAppender, ClearStartsTheTextAgain) {
  TextAppender out;
  out << "abc" << 1.5;
  EXPECT_EQ(out.text(), through_ostream("abc") + through_ostream(1.5));
  out.clear();
  EXPECT_EQ(out.text(), "");
  out << 'x';
  EXPECT_EQ(out.text(), through_ostream('x'));
}

}  // namespace
}  // namespace qlab
