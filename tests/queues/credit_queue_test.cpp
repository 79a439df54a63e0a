#include "queues/credit_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace qlab {
namespace {

std::vector<ConsumerId> take_all(CreditQueue& credits) {
  std::vector<ConsumerId> order;
  while (!credits.empty()) order.push_back(credits.take());
  return order;
}

TEST(CreditQueue, serves_the_longest_waiting_consumer_first_and_takes_turns) {
  CreditQueue credits;
  credits.grant(3, 2);
  credits.grant(1, 1);
  credits.grant(2, 3);
  EXPECT_EQ(credits.credit(2), 3u);
  EXPECT_EQ(take_all(credits), (std::vector<ConsumerId>{3, 1, 2, 3, 2, 2}));
}

// The hint names the consumer take() returns next while no withdrawal left a stale place in front, and
// with `later` the one after that many takes of consumers with one credit each.
TEST(CreditQueue, the_next_hint_is_the_consumer_served_next) {
  CreditQueue credits;
  EXPECT_EQ(credits.next_hint(0), kNoConsumer);
  credits.grant(3, 2);
  credits.grant(1, 1);
  while (!credits.empty()) {
    const ConsumerId hint = credits.next_hint(0);
    EXPECT_EQ(credits.take(), hint);
  }
  EXPECT_EQ(credits.next_hint(0), kNoConsumer);
  for (ConsumerId c = 0; c < 4; ++c) credits.grant(c, 1);
  EXPECT_EQ(credits.next_hint(1), 1u);
  EXPECT_EQ(credits.next_hint(3), 3u);
  EXPECT_EQ(credits.next_hint(4), kNoConsumer);
}

TEST(CreditQueue, more_credit_keeps_the_place_in_line) {
  CreditQueue credits;
  credits.grant(0, 1);
  credits.grant(1, 1);
  credits.grant(0, 1);
  EXPECT_EQ(take_all(credits), (std::vector<ConsumerId>{0, 1, 0}));
}

TEST(CreditQueue, withdraw_drops_the_credit_and_the_place_in_line) {
  CreditQueue credits;
  credits.grant(0, 5);
  credits.grant(1, 1);
  credits.withdraw(0);
  EXPECT_EQ(credits.credit(0), 0u);
  credits.grant(0, 1);
  EXPECT_EQ(take_all(credits), (std::vector<ConsumerId>{1, 0}));
}

TEST(CreditQueue, repeated_withdrawals_do_not_disturb_the_order) {
  CreditQueue credits;
  credits.grant(9, 1);
  for (int i = 0; i < 10'000; ++i) {
    credits.grant(static_cast<ConsumerId>(i % 5), 1);
    credits.withdraw(static_cast<ConsumerId>(i % 5));
  }
  credits.grant(4, 1);
  EXPECT_EQ(take_all(credits), (std::vector<ConsumerId>{9, 4}));
}

// Credits of 2^32 - 1 and more live outside the 8-byte account; they add up, are spent and withdrawn exactly.
TEST(CreditQueue, credits_beyond_32_bits_are_kept_whole) {
  constexpr std::uint64_t kMax32 = UINT32_MAX;
  CreditQueue credits;
  credits.grant(0, UINT32_MAX - 1);
  EXPECT_EQ(credits.credit(0), kMax32 - 1);
  credits.grant(0, 2);
  EXPECT_EQ(credits.credit(0), kMax32 + 1);
  credits.grant(1, 1);
  EXPECT_EQ(credits.take(), 0u);
  EXPECT_EQ(credits.credit(0), kMax32);
  EXPECT_EQ(credits.take(), 1u);
  EXPECT_EQ(credits.take(), 0u);  // below 2^32 - 1 again: back in the account
  EXPECT_EQ(credits.credit(0), kMax32 - 1);
  credits.grant(0, UINT32_MAX);
  EXPECT_EQ(credits.credit(0), 2 * kMax32 - 1);
  credits.withdraw(0);
  EXPECT_EQ(credits.credit(0), 0u);
  EXPECT_TRUE(credits.empty());
  credits.grant(0, 3);
  EXPECT_EQ(credits.credit(0), 3u);
  EXPECT_EQ(take_all(credits), (std::vector<ConsumerId>{0, 0, 0}));
}

}  // namespace
}  // namespace qlab
