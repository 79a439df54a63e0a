#include "queues/preassigned_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

using Assignment = PreassignedQueue::Assignment;

DesignDriver preassigned(Assignment assignment, std::uint64_t seed = 7, std::uint32_t expected_consumers = 0) {
  return DesignDriver(std::make_unique<PreassignedQueue>(assignment, RandomStream(seed), expected_consumers));
}

// Publishes ids [1, n] with keys `key_of(id)` and returns which consumer each went to, by letting every
// consumer pull everything afterwards.
template <typename KeyOf>
std::vector<ConsumerId> assigned_owners(DesignDriver& d, MessageId n, const std::vector<ConsumerId>& consumers, KeyOf key_of) {
  for (MessageId id = 1; id <= n; ++id) d.publish(id, key_of(id));
  std::vector<ConsumerId> owner(n, 0);
  for (ConsumerId c : consumers) {
    for (const Action& a : d.pull(c, static_cast<std::uint32_t>(n))) owner[a.message.id - 1] = a.consumer;
  }
  EXPECT_EQ(d.design().held(), 0u);
  return owner;
}

TEST(PreassignedQueue, round_robin_binds_in_join_order) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.join(2);
  d.join(0);
  d.join(1);
  EXPECT_EQ(assigned_owners(d, 6, {0, 1, 2}, [](MessageId) { return 0; }), (std::vector<ConsumerId>{2, 0, 1, 2, 0, 1}));
}

TEST(PreassignedQueue, preassigned_consumer_only_receives_its_own_messages) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.join(0);
  d.join(1);
  d.pull(0, 10);
  std::vector<MessageId> received;
  for (MessageId id = 1; id <= 4; ++id) {
    for (const Action& a : d.publish(id)) {
      EXPECT_EQ(a.consumer, 0u);
      received.push_back(a.message.id);
    }
  }
  EXPECT_EQ(received, (std::vector<MessageId>{1, 3}));
  EXPECT_EQ(d.design().backlog(), 2u);  // consumer 1's messages wait for consumer 1
  EXPECT_EQ(ids_of(d.pull(1, 10)), (std::vector<MessageId>{2, 4}));
}

TEST(PreassignedQueue, a_consumer_receives_no_more_than_its_credit) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.join(0);
  for (MessageId id = 1; id <= 5; ++id) d.publish(id);
  EXPECT_EQ(d.pull(0, 2).size(), 2u);
  EXPECT_EQ(d.design().backlog(), 3u);
}

TEST(PreassignedQueue, hash_assignment_is_stable_per_key) {
  DesignDriver d = preassigned(Assignment::hash);
  for (ConsumerId c = 0; c < 3; ++c) d.join(c);
  const auto key_of = [](MessageId id) { return id % 5; };
  const std::vector<ConsumerId> owner = assigned_owners(d, 50, {0, 1, 2}, key_of);
  std::map<std::uint64_t, ConsumerId> owner_of_key;
  for (MessageId id = 1; id <= 50; ++id) {
    EXPECT_EQ(owner_of_key.try_emplace(key_of(id), owner[id - 1]).first->second, owner[id - 1]) << "key " << key_of(id);
    EXPECT_EQ(owner[id - 1], static_cast<ConsumerId>(mix64(key_of(id)) % 3));  // join order is 0, 1, 2
  }
}

TEST(PreassignedQueue, random_assignment_draws_from_the_design_stream) {
  DesignDriver d = preassigned(Assignment::random, 42);
  for (ConsumerId c = 0; c < 4; ++c) d.join(c);
  RandomStream expected(42);
  const std::vector<ConsumerId> owner = assigned_owners(d, 40, {0, 1, 2, 3}, [](MessageId) { return 0; });
  for (MessageId id = 1; id <= 40; ++id) EXPECT_EQ(owner[id - 1], expected.next_below(4));
}

TEST(PreassignedQueue, messages_published_before_any_join_are_bound_when_the_first_consumer_joins) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.publish(1);
  d.publish(2);
  EXPECT_EQ(d.design().backlog(), 2u);
  EXPECT_EQ(d.design().held(), 2u);
  d.join(5);
  d.join(6);
  EXPECT_EQ(ids_of(d.pull(5, 10)), (std::vector<MessageId>{1, 2}));
}

TEST(PreassignedQueue, with_expected_consumers_work_published_before_they_join_is_split_among_all_of_them) {
  DesignDriver d = preassigned(Assignment::round_robin, 7, 3);
  for (MessageId id = 1; id <= 6; ++id) EXPECT_TRUE(d.publish(id).empty());
  d.join(2);  // the first to join takes only its own share
  EXPECT_EQ(ids_of(d.pull(2, 10)), (std::vector<MessageId>{3, 6}));
  d.join(0);
  EXPECT_EQ(ids_of(d.pull(0, 10)), (std::vector<MessageId>{1, 4}));
  EXPECT_EQ(d.design().backlog(), 2u);  // consumer 1's, until it joins
  d.join(1);
  EXPECT_EQ(ids_of(d.pull(1, 10)), (std::vector<MessageId>{2, 5}));
}

TEST(PreassignedQueue, a_consumer_beyond_the_expected_ones_is_added_to_the_assignment_set) {
  DesignDriver d = preassigned(Assignment::round_robin, 7, 2);
  d.join(0);
  d.join(1);
  d.join(4);
  EXPECT_EQ(assigned_owners(d, 6, {0, 1, 4}, [](MessageId) { return 0; }), (std::vector<ConsumerId>{0, 1, 4, 0, 1, 4}));
}

TEST(PreassignedQueue, hash_assignment_over_expected_consumers_does_not_depend_on_join_order) {
  DesignDriver d = preassigned(Assignment::hash, 7, 3);
  d.join(1);
  const std::vector<ConsumerId> owner = assigned_owners(d, 30, {0, 1, 2}, [](MessageId id) { return id; });
  for (MessageId id = 1; id <= 30; ++id) EXPECT_EQ(owner[id - 1], static_cast<ConsumerId>(mix64(id) % 3));
}

TEST(PreassignedQueue, a_lost_consumer_keeps_its_messages_until_it_comes_back) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.join(0);
  d.join(1);
  d.pull(0, 10);
  d.pull(1, 10);
  d.lose(1);
  for (MessageId id = 1; id <= 4; ++id) d.publish(id);
  EXPECT_EQ(d.design().backlog(), 2u);
  d.join(1);  // restart: same place in the assignment set
  EXPECT_EQ(ids_of(d.pull(1, 10)), (std::vector<MessageId>{2, 4}));
  EXPECT_EQ(d.publish(5).at(0).consumer, 0u);  // the rejoin did not add a second turn for consumer 1
  EXPECT_EQ(d.publish(6).at(0).consumer, 1u);
}

TEST(PreassignedQueue, for_each_held_visits_unassigned_and_bound_messages) {
  DesignDriver d = preassigned(Assignment::round_robin);
  d.publish(1);
  d.join(0);
  d.join(1);
  d.publish(2);
  d.publish(3);
  std::vector<MessageId> held;
  d.design().for_each_held([&](const Message& m) { held.push_back(m.id); });
  std::sort(held.begin(), held.end());
  EXPECT_EQ(held, (std::vector<MessageId>{1, 2, 3}));
}

}  // namespace
}  // namespace qlab::queue_tests
