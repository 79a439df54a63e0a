#include "queues/pull_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

DesignDriver pull_driver() { return DesignDriver(std::make_unique<PullQueue>()); }

TEST(PullQueue, pull_delivers_to_the_longest_waiting_consumer) {
  DesignDriver d = pull_driver();
  d.pull(1, 1);
  d.advance_by(kSecond);
  d.pull(2, 1);
  d.advance_by(kSecond);
  d.pull(0, 1);
  std::vector<ConsumerId> order;
  for (MessageId id = 1; id <= 3; ++id) order.push_back(d.publish(id).at(0).consumer);
  EXPECT_EQ(order, (std::vector<ConsumerId>{1, 2, 0}));
}

TEST(PullQueue, a_consumer_with_k_credits_takes_up_to_k_messages_taking_turns_with_others) {
  DesignDriver d = pull_driver();
  d.pull(0, 3);
  d.pull(1, 1);
  ActionBuffer all;
  for (MessageId id = 1; id <= 5; ++id) {
    for (const Action& a : d.publish(id)) all.push_back(a);
  }
  EXPECT_EQ(consumers_of(all), (std::vector<ConsumerId>{0, 1, 0, 0}));
  EXPECT_EQ(d.design().backlog(), 1u);
}

TEST(PullQueue, a_pull_drains_the_backlog_in_fifo_order) {
  DesignDriver d = pull_driver();
  for (MessageId id = 1; id <= 4; ++id) d.publish(id);
  EXPECT_EQ(ids_of(d.pull(0, 3)), (std::vector<MessageId>{1, 2, 3}));
  EXPECT_EQ(d.design().backlog(), 1u);
}

// A pull larger than the backlog takes all of it; the rest of its credit waits in line behind consumers
// that pull later, left behind when their pulls come while messages wait.
TEST(PullQueue, the_credit_a_backlog_leaves_over_waits_behind_earlier_pulls) {
  DesignDriver d = pull_driver();
  d.publish(1);
  d.publish(2);
  EXPECT_EQ(ids_of(d.pull(0, 4)), (std::vector<MessageId>{1, 2}));
  EXPECT_EQ(d.design().backlog(), 0u);
  EXPECT_EQ(d.design().backlog_bytes(), 0u);
  d.pull(1, 1);
  ActionBuffer all;
  for (MessageId id = 3; id <= 6; ++id) {
    for (const Action& a : d.publish(id)) all.push_back(a);
  }
  EXPECT_EQ(consumers_of(all), (std::vector<ConsumerId>{0, 1, 0}));
  EXPECT_EQ(ids_of(all), (std::vector<MessageId>{3, 4, 5}));
  EXPECT_EQ(d.design().backlog(), 1u);
}

// A pull served straight from the backlog checks its consumer id as a pull that waits does.
TEST(PullQueueDeathTest, a_pull_served_from_the_backlog_still_refuses_a_huge_consumer_id) {
  DesignDriver d = pull_driver();
  d.publish(1);
  EXPECT_DEATH(d.pull(kMaxConsumerId, 1), "small dense integers");
}

TEST(PullQueue, delivery_removes_the_message_and_acks_release_and_extend_do_nothing) {
  DesignDriver d = pull_driver();
  d.pull(0, 1);
  const Action delivered = d.publish(1).at(0);
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_TRUE(d.release(0, delivered.receipt).empty());
  EXPECT_TRUE(d.extend(0, delivered.receipt, kSecond).empty());
  EXPECT_TRUE(d.ack(0, delivered.receipt).empty());
  EXPECT_TRUE(d.ack(0, 12345).empty());
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_EQ(d.design().next_deadline(), kNever);
}

TEST(PullQueue, a_consumer_that_pulls_again_after_a_cancel_waits_behind_the_others) {
  DesignDriver d = pull_driver();
  d.pull(0, 1);
  d.pull(1, 1);
  d.cancel(0);
  d.pull(0, 1);
  EXPECT_EQ(d.publish(1).at(0).consumer, 1u);
  EXPECT_EQ(d.publish(2).at(0).consumer, 0u);
}

TEST(PullQueue, many_cancelled_pulls_leave_the_line_correct) {
  DesignDriver d = pull_driver();
  for (int i = 0; i < 1000; ++i) {
    d.pull(static_cast<ConsumerId>(i % 3), 1);
    d.cancel(static_cast<ConsumerId>(i % 3));
  }
  d.pull(2, 1);
  d.pull(1, 2);
  EXPECT_EQ(consumers_of(d.publish(1)), std::vector<ConsumerId>{2});
  EXPECT_EQ(consumers_of(d.publish(2)), std::vector<ConsumerId>{1});
  EXPECT_EQ(consumers_of(d.publish(3)), std::vector<ConsumerId>{1});
  EXPECT_TRUE(d.publish(4).empty());
}

TEST(PullQueue, receipts_are_distinct_and_receive_count_is_one) {
  DesignDriver d = pull_driver();
  d.pull(0, 2);
  const Action a = d.publish(1).at(0);
  const Action b = d.publish(2).at(0);
  EXPECT_NE(a.receipt, 0u);
  EXPECT_NE(a.receipt, b.receipt);
  EXPECT_EQ(a.receive_count, 1u);
  EXPECT_EQ(b.receive_count, 1u);
}

}  // namespace
}  // namespace qlab::queue_tests
