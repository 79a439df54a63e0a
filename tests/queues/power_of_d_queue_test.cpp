#include "queues/power_of_d_queue.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

DesignDriver power_of(std::uint32_t d, std::uint64_t seed = 7) {
  return DesignDriver(std::make_unique<PowerOfDQueue>(d, RandomStream(seed)));
}

// Which consumer each message is bound to: every consumer pulls everything afterwards.
std::map<MessageId, ConsumerId> queue_owners(DesignDriver& d, std::uint32_t consumers) {
  std::map<MessageId, ConsumerId> owner;
  for (ConsumerId c = 0; c < consumers; ++c) {
    for (const Action& a : d.pull(c, 1000)) owner[a.message.id] = a.consumer;
  }
  return owner;
}

TEST(PowerOfDQueue, jsq_binds_each_message_to_the_shortest_queue) {
  DesignDriver d = power_of(0);
  for (ConsumerId c = 0; c < 3; ++c) d.join(c);
  for (MessageId id = 1; id <= 7; ++id) d.publish(id);
  std::map<ConsumerId, int> lengths;
  for (const auto& [id, c] : queue_owners(d, 3)) ++lengths[c];
  for (ConsumerId c = 0; c < 3; ++c) EXPECT_GE(lengths[c], 2) << c;  // never 3 on one queue before 2 on each
}

TEST(PowerOfDQueue, an_unacked_delivery_counts_until_its_ack) {
  DesignDriver d = power_of(0);
  d.join(0);
  d.pull(0, 5);
  const Receipt r = single(d.publish(1)).receipt;
  d.join(1);
  EXPECT_TRUE(d.publish(2).empty()) << "bound to consumer 1, which has not pulled";
  d.ack(0, r);
  d.ack(0, r);  // a repeated ack changes nothing
  EXPECT_EQ(single(d.publish(3)).consumer, 0u);
  EXPECT_EQ(d.design().backlog(), 1u);
}

TEST(PowerOfDQueue, d_equal_one_is_uniform_random_assignment) {
  DesignDriver d = power_of(1, 3);
  for (ConsumerId c = 0; c < 4; ++c) d.join(c);
  for (MessageId id = 1; id <= 4000; ++id) d.publish(id);
  std::map<ConsumerId, int> count;
  for (const auto& [id, c] : queue_owners(d, 4)) ++count[c];
  for (ConsumerId c = 0; c < 4; ++c) EXPECT_NEAR(count[c], 1000, 4 * std::sqrt(4000 * 0.25 * 0.75)) << c;
}

TEST(PowerOfDQueue, two_choices_keep_queues_much_more_even_than_one) {
  // With 1000 messages on 10 queues and no service, d = 1 spreads them binomially, d = 2 nearly evenly.
  const auto spread = [](std::uint32_t choices) {
    DesignDriver d = power_of(choices, 11);
    for (ConsumerId c = 0; c < 10; ++c) d.join(c);
    for (MessageId id = 1; id <= 1000; ++id) d.publish(id);
    std::map<ConsumerId, int> count;
    for (const auto& [id, c] : queue_owners(d, 10)) ++count[c];
    int lo = 1000, hi = 0;
    for (const auto& [c, n] : count) lo = std::min(lo, n), hi = std::max(hi, n);
    return hi - lo;
  };
  EXPECT_LE(spread(2), 3);
  EXPECT_GE(spread(1), 15);
}

TEST(PowerOfDQueue, a_lost_consumers_queue_moves_to_the_live_ones_and_it_is_never_chosen_again) {
  DesignDriver d = power_of(2);
  d.join(0);
  d.join(1);
  for (MessageId id = 1; id <= 20; ++id) d.publish(id);
  d.lose(0);
  for (MessageId id = 21; id <= 30; ++id) d.publish(id);
  const ActionBuffer all = d.pull(1, 100);
  EXPECT_EQ(all.size(), 30u);
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(PowerOfDQueue, messages_published_with_no_live_consumer_wait_for_one) {
  DesignDriver d = power_of(2);
  d.publish(1);
  d.join(3);
  EXPECT_EQ(single(d.pull(3, 1)).message.id, 1u);
}

}  // namespace
}  // namespace qlab::queue_tests
