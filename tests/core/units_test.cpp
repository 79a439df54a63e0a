#include "core/units.hpp"

#include <gtest/gtest.h>

#include "core/random_stream.hpp"

namespace qlab {
namespace {

TEST(Units, DurationsParseExactly) {
  EXPECT_EQ(parse_duration("250ns"), 250);
  EXPECT_EQ(parse_duration("10us"), 10'000);
  EXPECT_EQ(parse_duration("1.5ms"), 1'500'000);
  EXPECT_EQ(parse_duration("2s"), 2 * kSecond);
  EXPECT_EQ(parse_duration("5m"), 300 * kSecond);
  EXPECT_EQ(parse_duration("1h"), 3600 * kSecond);
  EXPECT_EQ(parse_duration("0.000000001s"), 1);
}

TEST(Units, BareNumberSaysWhichUnitIsMissing) {
  try {
    parse_duration("5");
    FAIL();
  } catch (const UnitError& e) {
    EXPECT_NE(std::string(e.what()).find("no unit"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("5s"), std::string::npos) << e.what();
  }
}

TEST(Units, BadDurationsAreRefused) {
  EXPECT_THROW(parse_duration("5 parsecs"), UnitError);
  EXPECT_THROW(parse_duration("fast"), UnitError);
  EXPECT_THROW(parse_duration("0.5ns"), UnitError);
  EXPECT_THROW(parse_duration("-1s"), UnitError);
}

TEST(Units, DurationsFormatToTextThatParsesBack) {
  for (Time t : {Time{0}, Time{1}, Time{999}, Time{1'500'000}, Time{2'000'000'000}, Time{123'456'789'012},
                 Time{3600} * kSecond, Time{90} * kSecond}) {
    EXPECT_EQ(parse_duration(format_duration(t)), t) << format_duration(t);
  }
  EXPECT_EQ(format_duration(1'500'000), "1.5ms");
  EXPECT_EQ(format_duration(2 * kSecond), "2s");
  EXPECT_EQ(format_duration(90 * kSecond), "90s");
}

TEST(Units, RatesAreMessagesPerSecond) {
  EXPECT_DOUBLE_EQ(parse_rate("7.2/s"), 7.2);
  EXPECT_DOUBLE_EQ(parse_rate("300/m"), 5.0);
  EXPECT_DOUBLE_EQ(parse_rate("36/h"), 0.01);
  EXPECT_THROW(parse_rate("7.2"), UnitError);
  EXPECT_THROW(parse_rate("7.2/fortnight"), UnitError);
  EXPECT_EQ(format_rate(40), "40/s");
  EXPECT_EQ(format_rate(7.2), "7.2/s");
  RandomStream rng(4);
  for (int i = 0; i < 10000; ++i) {
    const double rate = rng.next_open01() * 1000;
    EXPECT_EQ(parse_rate(format_rate(rate)), rate) << format_rate(rate);
  }
  EXPECT_EQ(parse_rate("13.235/h"), 13.235 / 3600);
}

TEST(Units, SizesUseDecimalAndBinaryPrefixes) {
  EXPECT_EQ(parse_size("100B"), 100);
  EXPECT_EQ(parse_size("4KB"), 4000);
  EXPECT_EQ(parse_size("4KiB"), 4096);
  EXPECT_EQ(parse_size("1MiB"), 1 << 20);
  EXPECT_THROW(parse_size("4"), UnitError);
  EXPECT_EQ(parse_size(format_size(4096)), 4096);
}

}  // namespace
}  // namespace qlab
