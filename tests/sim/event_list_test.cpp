#include "sim/event_list.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <utility>
#include <vector>

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

// The event list against a plain ordered set of (time, sequence) while its population moves towards each
// of `targets` in turn, with ties, far-future outliers and an event spacing that drifts by orders of
// magnitude from one target to the next (what a bucketed list such as a calendar queue finds hardest).
void check_against_reference(const std::vector<std::size_t>& targets) {
  EventList<std::uint64_t> events;
  std::set<std::pair<Time, std::uint64_t>> reference;  // (time, sequence); the payload is the sequence
  RandomStream rng(17);
  std::uint64_t sequence = 0;
  Time now = 0;
  const auto schedule = [&](Time at) {
    events.schedule(at, sequence);
    reference.emplace(at, sequence++);
  };
  const auto pop = [&] {
    ASSERT_FALSE(events.empty());
    const auto expected = *reference.begin();
    reference.erase(reference.begin());
    EXPECT_EQ(events.next_time(), expected.first);
    const auto e = events.pop();
    ASSERT_EQ(e.time, expected.first);
    ASSERT_EQ(e.sequence, expected.second);
    ASSERT_EQ(e.payload, expected.second);
    now = e.time;
  };
  for (std::size_t phase = 0; phase < targets.size(); ++phase) {
    const Time spread = Time{1} << (4 * (phase % 6) + 2);  // the spacing drifts by orders of magnitude
    const std::size_t target = targets[phase];
    for (int step = 0; step < 60000; ++step) {
      const bool grow = events.size() < target;
      if (grow || rng.next_below(2) == 0) {
        const std::uint64_t kind = rng.next_below(100);
        if (kind < 10) {
          schedule(now);  // a tie with the present
        } else if (kind < 12) {
          schedule(now + spread * 100000);  // far future
        } else {
          schedule(now + static_cast<Time>(rng.next_below(static_cast<std::uint64_t>(spread))));
        }
      } else {
        pop();
      }
      ASSERT_EQ(events.size(), reference.size());
    }
  }
  while (!reference.empty()) pop();
  EXPECT_TRUE(events.empty());
}

TEST(EventList, MatchesAnOrderedReferenceThroughRebuildsTiesAndOutliers) {
  check_against_reference({20000, 50, 20000, 50, 20000, 50});
}

// Small populations: around and across the switches between the heap and the two-level list (a window is
// laid out for more than 32 events, the heap spread into buckets above 128).
TEST(EventList, MatchesAnOrderedReferenceAcrossTheSwitchesToAndFromTwoLevels) {
  check_against_reference({10, 20, 30, 15, 200, 20, 60, 5, 25, 17});
}

TEST(EventList, ABatchAtOneInstantComesOutInInsertionOrder) {
  EventList<int> events;
  for (int i = 0; i < 100000; ++i) events.schedule(42, i);
  for (int i = 0; i < 100000; ++i) ASSERT_EQ(events.pop().payload, i);
}

// Thousands of events at the last representable instant cannot be spread into buckets of time: they stay
// in one heap, in insertion order, and the list neither loops nor loses any.
TEST(EventList, ManyEventsAtTheEndOfTimeComeOutInInsertionOrder) {
  EventList<int> events;
  constexpr Time kEnd = std::numeric_limits<Time>::max();
  for (int i = 0; i < 6000; ++i) events.schedule(i % 3 == 0 ? static_cast<Time>(i) : kEnd, i);
  std::vector<int> order;
  while (!events.empty()) order.push_back(events.pop().payload);
  ASSERT_EQ(order.size(), 6000U);
  for (std::size_t i = 0; i < 2000; ++i) EXPECT_EQ(order[i], static_cast<int>(3 * i));
  for (std::size_t i = 2001; i < 6000; ++i) EXPECT_LT(order[i - 1], order[i]);
}

TEST(EventList, ForEachVisitsEveryPendingPayloadOnce) {
  EventList<int> events;
  for (int i = 0; i < 10000; ++i) events.schedule(i * 7919 % 10007, i);  // beyond the heap: in buckets
  for (int i = 0; i < 3000; ++i) events.pop();
  std::vector<int> seen;
  events.for_each([&](int payload) { seen.push_back(payload); });
  std::vector<int> expected;
  while (!events.empty()) expected.push_back(events.pop().payload);
  std::sort(seen.begin(), seen.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
}

// ahead(k) names the event k places after the front when nothing is scheduled in between (the caller
// prefetches with it); a heap of few events names none.
TEST(EventList, AheadNamesTheEventsThatComeNext) {
  EventList<int> few;
  for (int i = 0; i < 100; ++i) few.schedule(i, i);
  EXPECT_EQ(few.ahead(1), nullptr);

  EventList<int> events;
  RandomStream rng(23);
  for (int i = 0; i < 20000; ++i) events.schedule(static_cast<Time>(rng.next_below(1000000)), i);
  std::size_t named = 0;
  while (events.size() > 3) {
    std::vector<int> expected;
    for (std::size_t k = 1; k <= 3; ++k) {
      if (const int* later = events.ahead(k)) expected.push_back(*later);
    }
    events.pop();  // the front
    named += expected.size();
    for (const int later : expected) ASSERT_EQ(events.pop().payload, later);
  }
  EXPECT_GT(named, 10000U);  // most events were named ahead (all but a run's last few)
}

}  // namespace
}  // namespace qlab::sim
