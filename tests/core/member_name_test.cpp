#include "core/member_name.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace qlab {
namespace {

// The in-place writing against the plain concatenation it stands for, for names short enough for the string
// itself, long ones, and indexes of every width.
TEST(MemberName, IsTheGroupThenTheIndexInBrackets) {
  for (const std::string group : {"", "w", "workers", "a-group-name-longer-than-any-small-string"}) {
    for (const std::uint32_t index : {0U, 7U, 10U, 12345U, 4294967295U}) {
      EXPECT_EQ(member_name(group, index), group + "[" + std::to_string(index) + "]");
    }
  }
}

}  // namespace
}  // namespace qlab
