#include "sim/pending_events.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/random_stream.hpp"

namespace qlab::sim {
namespace {

Event delivery_to(std::uint32_t consumer, MessageId id, std::uint32_t serial) {
  Message message;
  message.id = id;
  message.published_at = static_cast<Time>(id * 3);
  message.size = static_cast<std::uint32_t>(id + 100);
  return Event{EventType::delivery_arrives, consumer, 7, serial, id + 1000, message, 2};
}

// Events that carry a message come back whole (message, receipt, every field), in (time, insertion) order,
// mixed with events that carry none, while slots are freed and reused.
TEST(PendingEvents, EventsComeBackWholeInTimeThenInsertionOrder) {
  PendingEvents events;
  RandomStream rng(11);
  std::vector<MessageId> delivered;
  Time last = -1;
  std::uint32_t last_serial = 0;
  std::uint32_t serial = 0;  // insertion order, carried in `count`
  MessageId next_id = 1;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 5; ++i) {
      const Time at = last + 1 + static_cast<Time>(rng.next_below(4));
      events.schedule(at, delivery_to(static_cast<std::uint32_t>(i), next_id++, ++serial));
      events.schedule(at, Event{EventType::reply_arrives, 3, kLateAck, ++serial, 99, {}, 4});
    }
    for (int i = 0; i < 4; ++i) {
      const auto due = events.pop();
      const Event event = events.take(due.compact);
      EXPECT_TRUE(due.time > last || (due.time == last && event.count > last_serial));
      last = due.time;
      last_serial = event.count;
      if (event.type == EventType::delivery_arrives) {
        const MessageId id = event.message.id;
        EXPECT_EQ(event.receipt, id + 1000);
        EXPECT_EQ(event.message.size, id + 100);
        EXPECT_EQ(event.message.published_at, static_cast<Time>(id * 3));
        EXPECT_EQ(event.token, 7U);
        EXPECT_EQ(event.incarnation, 2U);
        delivered.push_back(id);
      } else {
        EXPECT_EQ(event.receipt, 99U);
        EXPECT_EQ(event.token, kLateAck);
        EXPECT_EQ(event.incarnation, 4U);
      }
    }
  }
  std::size_t pending_deliveries = 0;
  events.for_each([&](const Event& e) {
    if (e.type != EventType::delivery_arrives) return;
    ++pending_deliveries;
    EXPECT_EQ(e.receipt, e.message.id + 1000);
  });
  EXPECT_EQ(pending_deliveries + delivered.size(), next_id - 1);
}

}  // namespace
}  // namespace qlab::sim
