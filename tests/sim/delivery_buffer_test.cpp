#include "sim/delivery_buffer.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "core/random_stream.hpp"

namespace qlab::sim {
namespace {

std::vector<int> contents(const DeliveryBuffer<int>& buffer) { return {buffer.begin(), buffer.end()}; }

TEST(DeliveryBuffer, StartsEmptyAndKeepsFifoOrder) {
  DeliveryBuffer<int> buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.begin(), buffer.end());
  for (int i = 0; i < 5; ++i) buffer.push_back(i);
  EXPECT_EQ(buffer.size(), 5u);
  EXPECT_EQ(contents(buffer), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(buffer.pop_front(), 0);
  EXPECT_EQ(buffer.pop_front(), 1);
  EXPECT_EQ(contents(buffer), (std::vector<int>{2, 3, 4}));
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  buffer.push_back(9);
  EXPECT_EQ(contents(buffer), std::vector<int>{9});
}

// Random pushes and pops (through compaction and growth) against std::deque.
TEST(DeliveryBuffer, MatchesADequeUnderRandomUse) {
  DeliveryBuffer<int> buffer;
  std::deque<int> reference;
  RandomStream rng(11);
  for (int step = 0; step < 20000; ++step) {
    if (reference.empty() || rng.next_below(100) < 55) {
      buffer.push_back(step);
      reference.push_back(step);
    } else {
      ASSERT_EQ(buffer.pop_front(), reference.front());
      reference.pop_front();
    }
    ASSERT_EQ(buffer.size(), reference.size());
    if (step % 97 == 0) {
      ASSERT_EQ(contents(buffer), std::vector<int>(reference.begin(), reference.end()));
    }
  }
}

}  // namespace
}  // namespace qlab::sim
