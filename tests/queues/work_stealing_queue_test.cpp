#include "queues/work_stealing_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

using Steal = WorkStealingQueue::Steal;
using Victim = WorkStealingQueue::Victim;

DesignDriver stealing(Steal steal, Victim victim = Victim::longest) {
  return DesignDriver(std::make_unique<WorkStealingQueue>(steal, victim, RandomStream(5)));
}

TEST(WorkStealingQueue, binds_round_robin_like_preassigned_while_nobody_is_idle) {
  DesignDriver d = stealing(Steal::one);
  d.join(0);
  d.join(1);
  for (MessageId id = 1; id <= 4; ++id) d.publish(id);
  EXPECT_EQ(ids_of(d.pull(0, 1)), (std::vector<MessageId>{1}));
  EXPECT_EQ(ids_of(d.pull(1, 1)), (std::vector<MessageId>{2}));
}

TEST(WorkStealingQueue, an_idle_consumer_steals_the_newest_message_of_the_longest_queue) {
  DesignDriver d = stealing(Steal::one);
  d.join(0);
  d.join(1);
  d.join(2);
  for (MessageId id = 1; id <= 9; ++id) d.publish(id);  // 0: 1 4 7, 1: 2 5 8, 2: 3 6 9
  d.pull(2, 3);                                         // 3 6 9
  const ActionBuffer stolen = d.pull(2, 1);
  EXPECT_EQ(ids_of(stolen), (std::vector<MessageId>{7}));  // the first of the longest queues, from its tail
}

TEST(WorkStealingQueue, steal_half_takes_the_newer_half_in_order) {
  DesignDriver d = stealing(Steal::half);
  d.join(0);
  d.join(1);
  for (MessageId id = 1; id <= 10; ++id) d.publish(id);  // 0: 1 3 5 7 9
  d.pull(1, 5);                                          // drains its own 2 4 6 8 10
  EXPECT_EQ(ids_of(d.pull(1, 3)), (std::vector<MessageId>{5, 7, 9}));
  EXPECT_EQ(ids_of(d.pull(0, 5)), (std::vector<MessageId>{1, 3}));
  EXPECT_EQ(static_cast<WorkStealingQueue&>(d.design()).stolen(), 3u);
}

TEST(WorkStealingQueue, a_hungry_consumer_takes_a_message_bound_to_a_busy_one_at_once) {
  DesignDriver d = stealing(Steal::one, Victim::random);
  d.join(0);
  d.join(1);
  d.pull(1, 1);
  const Action a = single(d.publish(1));  // bound to 0, which has no credit
  EXPECT_EQ(a.consumer, 1u);
}

TEST(WorkStealingQueue, a_lost_consumers_queue_is_stolen_by_the_others) {
  DesignDriver d = stealing(Steal::half, Victim::random);
  d.join(0);
  d.join(1);
  for (MessageId id = 1; id <= 6; ++id) d.publish(id);
  d.lose(0);
  EXPECT_EQ(d.pull(1, 10).size(), 6u);
  EXPECT_EQ(d.design().held(), 0u);
}

}  // namespace
}  // namespace qlab::queue_tests
