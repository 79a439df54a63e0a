#include "workloads/did_you_mean.hpp"

#include <gtest/gtest.h>

namespace qlab::workloads {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("service", "service"), 0u);
  EXPECT_EQ(edit_distance("servce", "service"), 1u);
  EXPECT_EQ(edit_distance("servcie", "service"), 1u);
  EXPECT_EQ(edit_distance("count", "mount"), 1u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(ClosestMatch, SuggestsANearMissOrAPrefixAndNothingFarAway) {
  const std::vector<std::string> keys{"name", "count", "service", "prefetch", "visibility_timeout"};
  EXPECT_EQ(closest_match("servce", keys), "service");
  EXPECT_EQ(closest_match("visibility", keys), "visibility_timeout");
  EXPECT_EQ(closest_match("colour", keys), "");
}

}  // namespace
}  // namespace qlab::workloads
