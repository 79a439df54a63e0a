// Bounded queues and expiry (limited_queue.hpp) and the redelivery backoff of visibility_timeout, on exact cases.
#include <gtest/gtest.h>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

TEST(LimitedQueue, an_unlimited_design_is_not_wrapped) {
  DesignDriver d = DesignDriver::named("pull");
  EXPECT_EQ(dynamic_cast<LimitedQueue*>(&d.design()), nullptr);
  DesignDriver limited = DesignDriver::named("pull", {{"max_length", std::int64_t{1}}});
  EXPECT_NE(dynamic_cast<LimitedQueue*>(&limited.design()), nullptr);
}

TEST(LimitedQueue, reject_publish_refuses_what_would_exceed_max_length_and_accepts_again_when_there_is_room) {
  for (const char* design : {"pull", "visibility_timeout", "preassigned", "fifo_groups"}) {
    SCOPED_TRACE(design);
    DesignDriver d = DesignDriver::named(design, {{"max_length", std::int64_t{3}}});
    d.join(0);
    ActionBuffer refused;
    for (MessageId id = 1; id <= 5; ++id) {
      for (const Action& a : d.publish(id, id)) refused.push_back(a);
    }
    EXPECT_EQ(ids_of(only(refused, ActionKind::refuse)), (std::vector<MessageId>{4, 5}));
    EXPECT_EQ(d.design().backlog(), 3u);
    EXPECT_EQ(single(d.pull(0, 1)).message.id, 1u);
    EXPECT_TRUE(only(d.publish(6, 6), ActionKind::refuse).empty());  // room for one again
    EXPECT_EQ(single(d.publish(7, 7)).kind, ActionKind::refuse);
  }
}

TEST(LimitedQueue, max_bytes_counts_the_waiting_messages_bytes) {
  for (const char* design : {"pull", "push", "visibility_timeout"}) {
    SCOPED_TRACE(design);
    DesignDriver d = DesignDriver::named(design, {{"max_bytes", std::int64_t{250}}});  // the driver's messages: 100 B
    d.join(0);
    EXPECT_TRUE(d.publish(1).empty());
    EXPECT_TRUE(d.publish(2).empty());
    EXPECT_EQ(single(d.publish(3)).kind, ActionKind::refuse);
    EXPECT_EQ(d.design().backlog_bytes(), 200u);
    const Action delivered = single(d.pull(0, 1));
    EXPECT_EQ(d.design().backlog_bytes(), 100u);
    EXPECT_TRUE(d.publish(4).empty());
    if (std::string(design) != "pull") {  // a released delivery waits again: its bytes count again
      d.release(0, delivered.receipt);
      EXPECT_EQ(d.design().backlog_bytes(), 300u);
    }
  }
}

TEST(LimitedQueue, drop_head_discards_the_oldest_waiting_messages_to_make_room) {
  for (const char* design : {"pull", "push", "visibility_timeout"}) {
    SCOPED_TRACE(design);
    DesignDriver d = DesignDriver::named(
        design, {{"max_length", std::int64_t{2}}, {"overflow", std::string("drop_head")}, {"discarded", std::string("dead_letter")}});
    d.join(0);
    d.publish(1);
    d.publish(2);
    const Action dropped = single(d.publish(3));
    EXPECT_EQ(dropped.kind, ActionKind::dead_letter);
    EXPECT_EQ(dropped.cause, DiscardCause::overflow);
    EXPECT_EQ(dropped.message.id, 1u);
    EXPECT_EQ(ids_of(d.pull(0, 5)), (std::vector<MessageId>{2, 3}));
    EXPECT_EQ(d.design().backlog(), 0u);
  }
}

TEST(LimitedQueue, a_message_older_than_ttl_at_the_head_expires_and_its_credit_goes_to_the_next) {
  for (const char* design : {"pull", "visibility_timeout", "push", "share_group"}) {
    SCOPED_TRACE(design);
    DesignDriver d = DesignDriver::named(design, {{"ttl", std::int64_t{5 * kSecond}}});
    d.join(0);
    d.publish(1);
    d.advance_to(4 * kSecond);
    d.publish(2);
    d.advance_to(6 * kSecond);  // 1 is 6 s old, 2 is 2 s old
    const ActionBuffer actions = d.pull(0, 1);
    ASSERT_EQ(actions.size(), 2u);
    EXPECT_EQ(actions[0].kind, ActionKind::drop);
    EXPECT_EQ(actions[0].cause, DiscardCause::expired);
    EXPECT_EQ(actions[0].message.id, 1u);
    EXPECT_EQ(actions[1].kind, ActionKind::deliver);
    EXPECT_EQ(actions[1].message.id, 2u);
    // The expired message is gone; a keeping design holds only the delivery until its ack.
    EXPECT_EQ(d.design().held(), find_design(design)->keeps_until_ack ? 1u : 0u);
  }
}

TEST(VisibilityTimeoutRedelivery, a_released_message_waits_the_delay_which_doubles_up_to_its_cap) {
  DesignDriver d = DesignDriver::named("visibility_timeout", {{"redelivery_delay", std::int64_t{2 * kSecond}},
                                                               {"redelivery_backoff", std::string("exponential")},
                                                               {"redelivery_delay_max", std::int64_t{5 * kSecond}}});
  d.join(0);
  d.publish(1);
  Time expected_wait[] = {2 * kSecond, 4 * kSecond, 5 * kSecond, 5 * kSecond};
  Action delivery = single(d.pull(0, 1));
  for (const Time wait : expected_wait) {
    EXPECT_TRUE(d.release(0, delivery.receipt).empty());
    EXPECT_EQ(d.design().next_deadline(), d.now() + wait);
    d.pull(0, 1);
    EXPECT_TRUE(d.advance_to(d.now() + wait - 1).empty());
    delivery = single(d.advance_to(d.now() + 1));
    EXPECT_EQ(delivery.kind, ActionKind::deliver);
  }
  EXPECT_EQ(delivery.receive_count, 5u);
}

TEST(VisibilityTimeoutRedelivery, a_constant_delay_is_the_same_for_every_release) {
  DesignDriver d = DesignDriver::named("visibility_timeout", {{"redelivery_delay", std::int64_t{3 * kSecond}}});
  d.join(0);
  d.publish(1);
  for (int i = 0; i < 3; ++i) {
    const Action delivery = single(d.pull(0, 1));
    d.release(0, delivery.receipt);
    EXPECT_EQ(d.design().next_deadline(), d.now() + 3 * kSecond);
    d.advance_by(3 * kSecond);
  }
}

}  // namespace
}  // namespace qlab::queue_tests
