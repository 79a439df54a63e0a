#include "bench/sweep.hpp"

#include <gtest/gtest.h>

namespace qlab::bench {
namespace {

Axis axis(std::vector<std::string> paths, std::vector<std::vector<std::string>> rows) {
  Axis a;
  for (std::string& path : paths) a.columns.push_back(Param{std::move(path), "", "", {}});
  a.rows = std::move(rows);
  return a;
}

// "a=1 b=x" per combination.
std::vector<std::string> describe(const std::vector<std::vector<Param>>& points) {
  std::vector<std::string> out;
  for (const auto& point : points) {
    std::string text;
    for (const Param& p : point) text += (text.empty() ? "" : " ") + p.path + "=" + p.value;
    out.push_back(text);
  }
  return out;
}

TEST(Sweep, TheProductVariesTheFirstAxisSlowest) {
  const auto points = expand({axis({"a"}, {{"1"}, {"2"}}), axis({"b"}, {{"x"}, {"y"}, {"z"}})});
  EXPECT_EQ(describe(points),
            (std::vector<std::string>{"a=1 b=x", "a=1 b=y", "a=1 b=z", "a=2 b=x", "a=2 b=y", "a=2 b=z"}));
}

TEST(Sweep, AZipAxisMovesItsColumnsTogether) {
  const auto points = expand({axis({"d"}, {{"pull"}, {"pre"}}), axis({"n", "m"}, {{"1", "10ms"}, {"2", "20ms"}, {"4", "40ms"}})});
  EXPECT_EQ(describe(points), (std::vector<std::string>{"d=pull n=1 m=10ms", "d=pull n=2 m=20ms", "d=pull n=4 m=40ms",
                                                        "d=pre n=1 m=10ms", "d=pre n=2 m=20ms", "d=pre n=4 m=40ms"}));
}

TEST(Sweep, NoAxesGiveOnePoint) {
  EXPECT_EQ(expand({}).size(), 1u);
  EXPECT_TRUE(expand({}).front().empty());
}

TEST(Sweep, ValuesKeepTheirYamlText) {
  EXPECT_EQ(yaml_text(YAML::Load("1.5s")), "1.5s");
  EXPECT_EQ(yaml_text(YAML::Load("{dist: exponential, mean: 1s}")), "{dist: exponential, mean: 1s}");
  EXPECT_EQ(yaml_text(YAML::Load("[1, 2]")), "[1, 2]");
}

}  // namespace
}  // namespace qlab::bench
