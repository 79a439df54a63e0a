#include "queues/push_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

DesignDriver push(Time consumer_timeout = 0) { return DesignDriver(std::make_unique<PushQueue>(consumer_timeout)); }

TEST(PushQueue, pushes_round_robin_to_consumers_with_free_prefetch) {
  DesignDriver d = push();
  d.pull(0, 2);
  d.pull(1, 2);
  ActionBuffer all;
  for (MessageId id = 1; id <= 5; ++id) {
    for (const Action& a : d.publish(id)) all.push_back(a);
  }
  EXPECT_EQ(consumers_of(all), (std::vector<ConsumerId>{0, 1, 0, 1}));
  EXPECT_EQ(d.design().backlog(), 1u);
  EXPECT_EQ(d.design().held(), 5u);
}

TEST(PushQueue, a_lost_consumers_unacked_deliveries_go_back_to_the_head_marked_redelivered) {
  DesignDriver d = push();
  d.pull(0, 2);
  d.publish(1);
  const Receipt kept = d.publish(2).at(0).receipt;
  d.publish(3);  // waits: no credit
  d.ack(0, kept);
  d.lose(0);
  const ActionBuffer again = d.pull(1, 3);
  EXPECT_EQ(ids_of(again), (std::vector<MessageId>{1, 3}));
  EXPECT_EQ(again[0].receive_count, 2u);
  EXPECT_EQ(again[1].receive_count, 1u);
}

TEST(PushQueue, a_nack_requeues_at_the_head_and_a_stale_tag_is_refused) {
  DesignDriver d = push();
  d.publish(1);
  d.publish(2);
  const Receipt first = d.pull(0, 1).at(0).receipt;
  EXPECT_TRUE(d.release(0, first).empty());
  const Action again = single(d.pull(0, 1));
  EXPECT_EQ(again.message.id, 1u);
  EXPECT_EQ(again.receive_count, 2u);
  EXPECT_EQ(single(d.ack(0, first)).kind, ActionKind::ack_rejected);
  EXPECT_EQ(single(d.ack(1, again.receipt)).kind, ActionKind::ack_rejected) << "a tag belongs to its consumer";
  EXPECT_TRUE(d.ack(0, again.receipt).empty());
}

TEST(PushQueue, consumer_timeout_closes_the_channel_and_requeues_everything_it_held) {
  DesignDriver d = push(10 * kSecond);
  d.pull(0, 2);
  d.publish(1);
  d.advance_by(4 * kSecond);
  d.publish(2);
  EXPECT_EQ(d.design().next_deadline(), 10 * kSecond);
  d.pull(1, 5);
  EXPECT_EQ(ids_of(d.advance_to(10 * kSecond)), (std::vector<MessageId>{1, 2}));
  EXPECT_EQ(d.design().next_deadline(), 20 * kSecond);
  d.publish(3);
  EXPECT_EQ(consumers_of(d.publish(4)), (std::vector<ConsumerId>{1})) << "the timed-out consumer has no credit left";
}

TEST(PushQueue, without_consumer_timeout_a_slow_delivery_is_never_taken_back) {
  DesignDriver d = push();
  d.pull(0, 1);
  d.publish(1);
  EXPECT_EQ(d.design().next_deadline(), kNever);
  EXPECT_TRUE(d.advance_by(3600 * kSecond).empty());
  EXPECT_EQ(d.design().held(), 1u);
}

}  // namespace
}  // namespace qlab::queue_tests
