// The shard assignment and the --shard argument.
#include "bench/suite_shard.hpp"

#include <gtest/gtest.h>

#include "workloads/scenario_error.hpp"

namespace qlab::bench {
namespace {

TEST(Shard, EveryPointBelongsToExactlyOneShardRoundRobin) {
  for (unsigned count : {1u, 3u, 7u}) {
    for (std::size_t point = 0; point < 50; ++point) {
      unsigned owners = 0;
      for (unsigned index = 1; index <= count; ++index) owners += Shard{index, count}.contains(point) ? 1 : 0;
      EXPECT_EQ(owners, 1u) << point << " of " << count;
    }
  }
  EXPECT_TRUE((Shard{1, 4}.contains(0)));
  EXPECT_TRUE((Shard{1, 4}.contains(4)));
  EXPECT_TRUE((Shard{4, 4}.contains(3)));
  EXPECT_FALSE((Shard{2, 4}.contains(2)));
}

TEST(Shard, ParsesIOverNAndRejectsTheRest) {
  const Shard shard = parse_shard("3/8", "--shard");
  EXPECT_EQ(shard.index, 3u);
  EXPECT_EQ(shard.count, 8u);
  EXPECT_EQ(shard.text(), "3/8");
  for (const char* bad : {"0/8", "9/8", "1/0", "3", "3/", "/8", "a/8", "3/8x", "-1/8", " 3/8", ""}) {
    EXPECT_THROW(parse_shard(bad, "--shard"), workloads::ScenarioError) << bad;
  }
  try {
    parse_shard("9/8", "--shard");
  } catch (const workloads::ScenarioError& e) {
    EXPECT_STREQ(e.what(), "--shard 9/8: not a shard (expected I/N with 1 <= I <= N, e.g. 2/8)");
  }
}

}  // namespace
}  // namespace qlab::bench
