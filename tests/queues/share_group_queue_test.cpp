#include "queues/share_group_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

using ShareGroupOptions = ShareGroupQueue::Options;

DesignDriver share(ShareGroupOptions options) { return DesignDriver(std::make_unique<ShareGroupQueue>(options)); }

TEST(ShareGroupQueue, any_consumer_receives_records_of_any_partition) {
  DesignDriver d = share({.partitions = 1});
  d.pull(0, 1);
  d.pull(1, 1);
  d.pull(2, 1);
  ActionBuffer all;
  for (MessageId id = 1; id <= 3; ++id) {
    for (const Action& a : d.publish(id)) all.push_back(a);
  }
  EXPECT_EQ(ids_of(all), (std::vector<MessageId>{1, 2, 3}));
  const std::vector<ConsumerId> consumers = consumers_of(all);
  EXPECT_EQ(std::set<ConsumerId>(consumers.begin(), consumers.end()).size(), 3u);
}

TEST(ShareGroupQueue, an_expired_lock_makes_the_record_available_again_before_later_ones) {
  DesignDriver d = share({.partitions = 1, .lock_duration = 5 * kSecond});
  d.publish(1);
  d.publish(2);
  const Receipt r = single(d.pull(0, 1)).receipt;
  d.advance_by(5 * kSecond);
  const Action again = single(d.pull(1, 1));
  EXPECT_EQ(again.message.id, 1u);
  EXPECT_EQ(again.receive_count, 2u);
  EXPECT_EQ(single(d.ack(0, r)).kind, ActionKind::ack_rejected);
  EXPECT_TRUE(d.ack(1, again.receipt).empty());
}

TEST(ShareGroupQueue, a_record_past_the_delivery_limit_is_archived) {
  DesignDriver d = share({.partitions = 1, .delivery_limit = 2});
  d.publish(1);
  d.release(0, single(d.pull(0, 1)).receipt);
  d.release(0, single(d.pull(0, 1)).receipt);
  const ActionBuffer third = d.pull(0, 1);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].kind, ActionKind::dead_letter);
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(ShareGroupQueue, at_most_max_record_locks_records_of_a_partition_are_in_flight) {
  DesignDriver d = share({.partitions = 1, .max_record_locks = 2});
  for (MessageId id = 1; id <= 5; ++id) d.publish(id);
  const ActionBuffer got = d.pull(0, 5);
  EXPECT_EQ(ids_of(got), (std::vector<MessageId>{1, 2}));
  EXPECT_TRUE(d.ack(0, got[1].receipt).empty()) << "record 1 still holds the window's start";
  EXPECT_EQ(ids_of(d.ack(0, got[0].receipt)), (std::vector<MessageId>{3, 4}));
}

TEST(ShareGroupQueue, extend_renews_the_lock) {
  DesignDriver d = share({.partitions = 1, .lock_duration = 5 * kSecond});
  d.publish(1);
  const Receipt r = single(d.pull(0, 1)).receipt;
  d.advance_by(4 * kSecond);
  d.extend(0, r, 10 * kSecond);
  d.pull(1, 1);
  EXPECT_TRUE(d.advance_by(9 * kSecond).empty());
  EXPECT_EQ(single(d.advance_by(kSecond)).consumer, 1u);
}

TEST(ShareGroupQueue, a_lost_consumers_locks_run_until_they_expire) {
  DesignDriver d = share({.partitions = 1, .lock_duration = 5 * kSecond});
  d.publish(1);
  d.pull(0, 1);
  d.lose(0);
  d.pull(1, 1);
  EXPECT_TRUE(d.advance_by(4 * kSecond).empty());
  EXPECT_EQ(single(d.advance_by(kSecond)).message.id, 1u);
}

}  // namespace
}  // namespace qlab::queue_tests
