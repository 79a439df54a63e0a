#include "sim/sim_consumer.hpp"

#include <gtest/gtest.h>

namespace qlab::sim {
namespace {

// A held delivery keeps all that is read of its message after delivery: id, publish time, origin, poison.
TEST(Delivery, KeepsWhatTheLedgerReadsOfItsMessage) {
  const Message sent{.id = 123456789012ULL, .published_at = 987654321, .key = 42, .size = 512,
                     .origin = Delivery::kOriginLimit - 1, .poison = true};
  const Delivery held(sent, 77, 3);
  EXPECT_EQ(held.receipt, 77u);
  EXPECT_EQ(held.incarnation, 3u);
  const Message back = held.message();
  EXPECT_EQ(back.id, sent.id);
  EXPECT_EQ(back.published_at, sent.published_at);
  EXPECT_EQ(back.origin, sent.origin);
  EXPECT_TRUE(back.poison);
  EXPECT_EQ(back.key, 0u);  // dropped: nothing reads it once delivered
  EXPECT_EQ(back.size, 0u);
  EXPECT_FALSE(Delivery(Message{.id = 1, .origin = 5}, 1).message().poison);
  EXPECT_EQ(Delivery(Message{.id = 1, .origin = 5}, 1).message().origin, 5u);
}

}  // namespace
}  // namespace qlab::sim
