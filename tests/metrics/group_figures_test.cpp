// Per-group figures of consumers (metrics/group_figures.hpp): sums over each group's members wherever they
// stand in the list, groups in the order they first appear.
#include "metrics/group_figures.hpp"

#include <gtest/gtest.h>

namespace qlab {
namespace {

ConsumerFigures member(const std::string& group, int index, std::uint64_t processed, Time busy, Time alive) {
  return ConsumerFigures{group + "[" + std::to_string(index) + "]", group, busy, alive, 0, processed};
}

double value(const GroupFigures& group, const std::string& key) {
  for (const Metric& m : group.metrics) {
    if (m.key == key) return m.value;
  }
  ADD_FAILURE() << "no " << key << " in " << group.name;
  return 0;
}

TEST(ConsumerGroupFigures, SumsEachGroupsMembersWhereverTheyStand) {
  // Runs of one group's members, and a group that comes back after another: the function promises sums
  // whatever the order, though the simulator lists each group's members together.
  const std::vector<ConsumerFigures> consumers = {
      member("fast", 0, 10, 2, 10), member("fast", 1, 20, 4, 10), member("slow", 0, 5, 9, 10),
      member("fast", 2, 30, 6, 10), member("slow", 1, 7, 1, 10), member("slow", 2, 1, 5, 10)};
  const std::vector<FaultWindow> faults = {{"crash", "slow[1]", 0, 1}, {"stall", "fast[0]", 0, 1},
                                           {"crash", "slow[2]", 2, 3}, {"crash", "fast[2]", 2, 3}};
  const std::vector<GroupFigures> groups = consumer_group_figures(consumers, faults, 2.0);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "fast");
  EXPECT_EQ(groups[1].name, "slow");
  EXPECT_EQ(value(groups[0], "consumers"), 3);
  EXPECT_EQ(value(groups[1], "consumers"), 3);
  EXPECT_EQ(value(groups[0], "processed"), 60);
  EXPECT_EQ(value(groups[1], "processed"), 13);
  EXPECT_DOUBLE_EQ(value(groups[0], "throughput"), 30);
  EXPECT_DOUBLE_EQ(value(groups[0], "utilization"), 12.0 / 30.0);
  EXPECT_DOUBLE_EQ(value(groups[1], "utilization"), 15.0 / 30.0);
  EXPECT_EQ(value(groups[0], "crashes"), 1);
  EXPECT_EQ(value(groups[1], "crashes"), 2);
}

}  // namespace
}  // namespace qlab
