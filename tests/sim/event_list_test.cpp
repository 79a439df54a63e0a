#include "sim/event_list.hpp"

#include <gtest/gtest.h>

#include "core/random_stream.hpp"

namespace qlab::sim {
namespace {

TEST(EventList, EventsComeOutInTimeOrder) {
  EventList<int> events;
  RandomStream rng(5);
  for (int i = 0; i < 1000; ++i) events.schedule(static_cast<Time>(rng.next_below(100)), i);
  Time last = -1;
  while (!events.empty()) {
    const auto e = events.pop();
    EXPECT_GE(e.time, last);
    last = e.time;
  }
}

TEST(EventList, TiesAreBrokenByInsertionOrder) {
  EventList<int> events;
  for (int i = 0; i < 50; ++i) events.schedule(i % 2 == 0 ? 7 : 3, i);
  std::vector<int> order;
  while (!events.empty()) order.push_back(events.pop().payload);
  for (std::size_t i = 1; i < 25; ++i) EXPECT_LT(order[i - 1], order[i]);   // all at t=3, in order
  for (std::size_t i = 26; i < 50; ++i) EXPECT_LT(order[i - 1], order[i]);  // all at t=7, in order
  EXPECT_EQ(order[0], 1);
  EXPECT_EQ(order[25], 0);
}

}  // namespace
}  // namespace qlab::sim
