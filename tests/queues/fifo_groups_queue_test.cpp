#include "queues/fifo_groups_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

DesignDriver fifo(std::uint64_t groups = 0, Time visibility = 30 * kSecond) {
  return DesignDriver(std::make_unique<FifoGroupsQueue>(groups, visibility));
}

TEST(FifoGroupsQueue, at_most_one_message_of_a_group_is_in_flight) {
  DesignDriver d = fifo();
  d.publish(1, 7);
  d.publish(2, 7);
  d.publish(3, 8);
  const ActionBuffer first = d.pull(0, 10);
  EXPECT_EQ(ids_of(first), (std::vector<MessageId>{1, 3}));
  EXPECT_EQ(d.design().backlog(), 1u);
  EXPECT_EQ(ids_of(d.ack(0, first[0].receipt)), (std::vector<MessageId>{2}));
}

TEST(FifoGroupsQueue, an_expired_message_is_delivered_again_before_the_rest_of_its_group) {
  DesignDriver d = fifo(0, 5 * kSecond);
  d.publish(1, 1);
  d.publish(2, 1);
  const Receipt r = single(d.pull(0, 1)).receipt;
  d.pull(1, 5);
  const Action again = single(d.advance_by(5 * kSecond));
  EXPECT_EQ(again.message.id, 1u);
  EXPECT_EQ(again.receive_count, 2u);
  EXPECT_EQ(single(d.ack(0, r)).kind, ActionKind::ack_rejected);
  EXPECT_EQ(ids_of(d.ack(1, again.receipt)), (std::vector<MessageId>{2}));
}

TEST(FifoGroupsQueue, release_returns_the_message_to_the_head_of_its_group) {
  DesignDriver d = fifo();
  d.publish(1, 1);
  d.publish(2, 1);
  const Receipt r = single(d.pull(0, 1)).receipt;
  EXPECT_TRUE(d.release(0, r).empty());
  EXPECT_EQ(single(d.pull(0, 1)).message.id, 1u);
}

TEST(FifoGroupsQueue, extend_keeps_the_group_blocked_longer) {
  DesignDriver d = fifo(0, 5 * kSecond);
  d.publish(1, 1);
  const Receipt r = single(d.pull(0, 1)).receipt;
  d.extend(0, r, 20 * kSecond);
  d.pull(1, 1);
  EXPECT_TRUE(d.advance_by(10 * kSecond).empty());
  EXPECT_EQ(single(d.advance_by(10 * kSecond)).message.id, 1u);
}

TEST(FifoGroupsQueue, groups_fold_keys_modulo_the_group_count) {
  DesignDriver d = fifo(2);
  for (MessageId id = 1; id <= 6; ++id) d.publish(id, id);
  EXPECT_EQ(ids_of(d.pull(0, 6)), (std::vector<MessageId>{1, 2}));
  EXPECT_EQ(FifoGroupsQueue::group_of(9, 2), 1u);
  EXPECT_EQ(FifoGroupsQueue::group_of(9, 0), 9u);
}

TEST(FifoGroupsQueue, a_lost_consumers_delivery_blocks_its_group_until_the_timeout) {
  DesignDriver d = fifo(0, 5 * kSecond);
  d.publish(1, 1);
  d.publish(2, 1);
  d.pull(0, 1);
  d.lose(0);
  EXPECT_TRUE(d.pull(1, 5).empty());
  EXPECT_EQ(ids_of(d.advance_by(5 * kSecond)), (std::vector<MessageId>{1}));
}

}  // namespace
}  // namespace qlab::queue_tests
