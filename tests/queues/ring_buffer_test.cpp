#include "queues/ring_buffer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace qlab {
namespace {

// Suite named so the queues' ctest filter picks it up.
TEST(QueueRingBuffer, keeps_fifo_order_across_wraparound_and_growth) {
  RingBuffer<int> ring;
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < round + 3; ++i) ring.push_back(next_in++);
    for (int i = 0; i < round + 1; ++i) EXPECT_EQ(ring.pop_front(), next_out++);
  }
  EXPECT_EQ(ring.size(), static_cast<std::size_t>(next_in - next_out));
  for (std::size_t i = 0; i < ring.size(); ++i) EXPECT_EQ(ring[i], next_out + static_cast<int>(i));  // across the wrap
  std::vector<int> rest;
  ring.for_each([&](int v) { rest.push_back(v); });
  ASSERT_EQ(rest.size(), ring.size());
  for (int v : rest) EXPECT_EQ(v, next_out++);
}

TEST(QueueRingBuffer, retain_keeps_the_chosen_elements_in_order) {
  RingBuffer<int> ring;
  for (int i = 0; i < 20; ++i) ring.push_back(i);
  for (int i = 0; i < 5; ++i) ring.pop_front();
  for (int i = 20; i < 30; ++i) ring.push_back(i);  // wraps past the end of the buffer
  ring.retain([](int v) { return v % 3 == 0; });
  std::vector<int> kept;
  while (!ring.empty()) kept.push_back(ring.pop_front());
  EXPECT_EQ(kept, (std::vector<int>{6, 9, 12, 15, 18, 21, 24, 27}));
}

}  // namespace
}  // namespace qlab
