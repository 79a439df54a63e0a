#include "queues/visibility_timeout_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

using VisibilityOptions = VisibilityTimeoutQueue::Options;
using StaleAck = VisibilityTimeoutQueue::StaleAck;

constexpr Time kTimeout = 10 * kSecond;

DesignDriver visibility(VisibilityOptions options = {}) {
  if (options.visibility_timeout == VisibilityOptions{}.visibility_timeout) options.visibility_timeout = kTimeout;
  return DesignDriver(std::make_unique<VisibilityTimeoutQueue>(options));
}

// One consumer (0) that has received message 1.
Received receive_one(VisibilityOptions options = {}) {
  DesignDriver d = visibility(options);
  d.join(0);
  d.pull(0, 1);
  const Action delivery = d.publish(1).at(0);
  return {std::move(d), delivery};
}

TEST(VisibilityTimeoutQueue, a_receive_hides_the_message_until_the_timeout) {
  auto [d, first] = receive_one();
  EXPECT_EQ(first.receive_count, 1u);
  EXPECT_EQ(d.design().next_deadline(), kTimeout);
  EXPECT_EQ(d.design().backlog(), 0u);
  EXPECT_EQ(d.design().held(), 1u);
  d.pull(1, 1);
  EXPECT_TRUE(d.advance_to(kTimeout - 1).empty());
}

TEST(VisibilityTimeoutQueue, ack_with_the_current_receipt_deletes_the_message) {
  auto [d, first] = receive_one();
  EXPECT_TRUE(d.ack(0, first.receipt).empty());
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_EQ(d.design().next_deadline(), kNever);
  d.pull(0, 1);
  EXPECT_TRUE(d.advance_to(10 * kTimeout).empty());
}

TEST(VisibilityTimeoutQueue, expired_message_is_redelivered_with_a_higher_receive_count) {
  auto [d, first] = receive_one();
  d.pull(1, 1);
  const Action again = single(d.advance_to(kTimeout));
  EXPECT_EQ(again.kind, ActionKind::deliver);
  EXPECT_EQ(again.consumer, 1u);
  EXPECT_EQ(again.message.id, 1u);
  EXPECT_EQ(again.receive_count, 2u);
  EXPECT_NE(again.receipt, first.receipt);
  EXPECT_EQ(d.design().next_deadline(), 2 * kTimeout);
}

TEST(VisibilityTimeoutQueue, an_expired_message_returns_to_the_back_of_the_visible_fifo) {
  auto [d, first] = receive_one();
  d.publish(2);
  d.advance_to(kTimeout);
  EXPECT_EQ(d.design().backlog(), 2u);
  const ActionBuffer actions = d.pull(0, 2);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].message.id, 2u);
  EXPECT_EQ(actions[1].message.id, 1u);
}

TEST(VisibilityTimeoutQueue, stale_ack_is_rejected) {
  auto [d, first] = receive_one();
  d.pull(1, 1);
  const Action second = d.advance_to(kTimeout).at(0);
  const Action refused = single(d.ack(0, first.receipt));
  EXPECT_EQ(refused.kind, ActionKind::ack_rejected);
  EXPECT_EQ(refused.consumer, 0u);
  EXPECT_EQ(refused.receipt, first.receipt);
  EXPECT_EQ(refused.message.id, 1u);
  EXPECT_EQ(d.design().held(), 1u);  // still in flight under the second receipt
  EXPECT_TRUE(d.ack(1, second.receipt).empty());
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(VisibilityTimeoutQueue, stale_ack_is_ignored_when_configured) {
  VisibilityOptions options;
  options.stale_ack = StaleAck::ignore;
  auto [d, first] = receive_one(options);
  d.pull(1, 1);
  d.advance_to(kTimeout);
  const Action refused = single(d.ack(0, first.receipt));
  EXPECT_EQ(refused.kind, ActionKind::ack_ignored);
  EXPECT_EQ(refused.consumer, 0u);
  EXPECT_EQ(refused.receipt, first.receipt);
  EXPECT_EQ(d.design().held(), 1u);
}

TEST(VisibilityTimeoutQueue, a_second_ack_of_a_deleted_message_is_rejected) {
  auto [d, first] = receive_one();
  d.ack(0, first.receipt);
  const Action refused = single(d.ack(0, first.receipt));
  EXPECT_EQ(refused.kind, ActionKind::ack_rejected);
  EXPECT_EQ(refused.receipt, first.receipt);
}

TEST(VisibilityTimeoutQueue, a_late_ack_deletes_an_expired_message_that_was_not_received_again) {
  auto [d, first] = receive_one();
  d.advance_to(kTimeout);
  EXPECT_EQ(d.design().backlog(), 1u);
  EXPECT_TRUE(d.ack(0, first.receipt).empty());
  EXPECT_EQ(d.design().backlog(), 0u);
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_TRUE(d.pull(0, 1).empty());
  const ActionBuffer next = d.publish(2);  // the deleted message is skipped, not received
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].message.id, 2u);
  EXPECT_EQ(d.design().held(), 1u);
}

TEST(VisibilityTimeoutQueue, max_receives_moves_message_to_dead_letter_on_next_receive) {
  VisibilityOptions options;
  options.max_receives = 2;
  auto [d, first] = receive_one(options);
  d.pull(0, 1);
  EXPECT_EQ(d.advance_to(kTimeout).at(0).receive_count, 2u);
  // Received twice: the expiry alone does not dead-letter it; the next receive does.
  EXPECT_TRUE(d.advance_to(2 * kTimeout).empty());
  EXPECT_EQ(d.design().backlog(), 1u);
  const Action dead = single(d.pull(0, 1));
  EXPECT_EQ(dead.kind, ActionKind::dead_letter);
  EXPECT_EQ(dead.message.id, 1u);
  EXPECT_EQ(dead.receive_count, 2u);
  EXPECT_EQ(d.design().held(), 0u);
  // Dead-lettering spent no credit: the open pull takes the next message.
  EXPECT_EQ(d.publish(2).at(0).kind, ActionKind::deliver);
}

TEST(VisibilityTimeoutQueue, unlimited_receives_never_dead_letter) {
  auto [d, first] = receive_one();
  for (int i = 2; i <= 50; ++i) {
    d.pull(0, 1);
    const Action again = single(d.advance_by(kTimeout));
    EXPECT_EQ(again.kind, ActionKind::deliver);
    EXPECT_EQ(again.receive_count, static_cast<std::uint32_t>(i));
  }
}

TEST(VisibilityTimeoutQueue, release_makes_the_message_visible_at_once) {
  auto [d, first] = receive_one();
  d.pull(1, 1);
  const Action actions = single(d.release(0, first.receipt));
  EXPECT_EQ(actions.consumer, 1u);
  EXPECT_EQ(actions.receive_count, 2u);
  EXPECT_EQ(d.design().next_deadline(), kTimeout);
}

TEST(VisibilityTimeoutQueue, release_with_a_stale_receipt_is_rejected) {
  auto [d, first] = receive_one();
  d.ack(0, first.receipt);
  const Action refused = single(d.release(0, first.receipt));
  EXPECT_EQ(refused.kind, ActionKind::ack_rejected);
}

TEST(VisibilityTimeoutQueue, extend_keeps_message_hidden_past_the_original_timeout) {
  auto [d, first] = receive_one();
  d.pull(1, 1);
  d.advance_to(kTimeout / 2);
  EXPECT_TRUE(d.extend(0, first.receipt, kTimeout).empty());
  EXPECT_EQ(d.design().next_deadline(), kTimeout / 2 + kTimeout);
  EXPECT_TRUE(d.advance_to(kTimeout).empty());
  EXPECT_EQ(d.design().held(), 1u);
  EXPECT_TRUE(d.ack(0, first.receipt).empty());
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(VisibilityTimeoutQueue, extend_reorders_deadlines) {
  DesignDriver d = visibility();
  d.pull(0, 2);
  const Action a = d.publish(1).at(0);
  d.advance_to(kSecond);
  const Action b = d.publish(2).at(0);
  d.extend(0, a.receipt, 5 * kTimeout);
  EXPECT_EQ(d.design().next_deadline(), kSecond + kTimeout);
  d.ack(0, b.receipt);
  EXPECT_EQ(d.design().next_deadline(), kSecond + 5 * kTimeout);
}

TEST(VisibilityTimeoutQueue, extend_with_a_stale_receipt_is_ignored_when_configured) {
  VisibilityOptions options;
  options.stale_ack = StaleAck::ignore;
  auto [d, first] = receive_one(options);
  d.advance_to(kTimeout);  // expired, visible again: nothing is in flight to extend
  const Action refused = single(d.extend(0, first.receipt, kTimeout));
  EXPECT_EQ(refused.kind, ActionKind::ack_ignored);
  EXPECT_EQ(refused.message.id, 1u);
  EXPECT_EQ(d.design().backlog(), 1u);
}

TEST(VisibilityTimeoutQueue, release_on_disconnect_makes_messages_visible_at_once) {
  VisibilityOptions options;
  options.release_on_disconnect = true;
  auto [d, first] = receive_one(options);
  d.pull(1, 1);
  const Action actions = single(d.lose(0));
  EXPECT_EQ(actions.consumer, 1u);
  EXPECT_EQ(actions.message.id, 1u);
  EXPECT_EQ(actions.receive_count, 2u);
}

TEST(VisibilityTimeoutQueue, a_lost_consumers_messages_wait_for_the_timeout_by_default) {
  auto [d, first] = receive_one();
  d.pull(1, 1);
  EXPECT_TRUE(d.lose(0).empty());
  EXPECT_EQ(d.design().held(), 1u);
  EXPECT_EQ(d.design().backlog(), 0u);
  const Action actions = single(d.advance_to(kTimeout));
  EXPECT_EQ(actions.consumer, 1u);
}

TEST(VisibilityTimeoutQueue, a_receipt_of_a_reused_slot_does_not_touch_the_new_message) {
  auto [d, first] = receive_one();
  d.ack(0, first.receipt);
  d.pull(0, 1);
  const Action second = d.publish(2).at(0);  // takes the freed slot
  const Action refused = single(d.ack(0, first.receipt));
  EXPECT_EQ(refused.kind, ActionKind::ack_rejected);
  EXPECT_EQ(refused.message.id, 0u);  // the old message is gone for good
  EXPECT_EQ(d.design().held(), 1u);
  EXPECT_TRUE(d.ack(0, second.receipt).empty());
}

TEST(VisibilityTimeoutQueue, receipts_that_name_no_delivery_are_rejected) {
  auto [d, first] = receive_one();
  for (Receipt bogus : {Receipt{0}, Receipt{12345}, first.receipt + (Receipt{1} << 32), ~Receipt{0}}) {
    const Action refused = single(d.ack(0, bogus));
    EXPECT_EQ(refused.kind, ActionKind::ack_rejected);
  }
  EXPECT_EQ(d.design().held(), 1u);
}

// A pull served straight from the visible messages checks its consumer id as a pull that waits does.
TEST(VisibilityTimeoutQueueDeathTest, a_pull_served_at_once_still_refuses_a_huge_consumer_id) {
  DesignDriver d = visibility();
  d.publish(1);
  EXPECT_DEATH(d.pull(kMaxConsumerId, 1), "small dense integers");
}

TEST(VisibilityTimeoutQueue, for_each_held_visits_visible_and_in_flight_messages) {
  auto [d, first] = receive_one();
  d.publish(2);
  d.publish(3);
  d.advance_to(kTimeout);
  d.pull(0, 1);  // receives 2: the expired 1 went behind 3
  std::vector<MessageId> held;
  d.design().for_each_held([&](const Message& m) { held.push_back(m.id); });
  std::sort(held.begin(), held.end());
  EXPECT_EQ(held, (std::vector<MessageId>{1, 2, 3}));
  EXPECT_EQ(d.design().held(), 3u);
  EXPECT_EQ(d.design().backlog(), 2u);
}

}  // namespace
}  // namespace qlab::queue_tests
