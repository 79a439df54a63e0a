// QueueMapping::assign, how a producer on a real broker binds a preassigned message to a consumer, against the
// `preassigned` design that qlab's broker and the simulator run (queues/preassigned_queue.*).
#include "live/backends/queue_mapping.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "live/backends/broker_client.hpp"
#include "queues/preassigned_queue.hpp"

namespace qlab::live {
namespace {

constexpr std::uint32_t kConsumers = 3;

QueueSpec preassigned(const std::string& assignment) {
  QueueSpec queue;
  queue.design = "preassigned";
  queue.params["assignment"] = assignment;
  return queue;
}

// The consumer the design binds each of messages 1..n (key = key_of(id)) to, over the scenario's consumers.
template <typename KeyOf>
std::vector<ConsumerId> design_owners(PreassignedQueue::Assignment assignment, MessageId n, KeyOf key_of) {
  PreassignedQueue design(assignment, RandomStream(7), kConsumers);
  ActionBuffer out;
  for (ConsumerId c = 0; c < kConsumers; ++c) design.on_consumer_joined(0, c, out);
  for (MessageId id = 1; id <= n; ++id) design.on_publish(0, Message{id, 0, key_of(id), 100}, out);
  std::vector<ConsumerId> owner(n, kConsumers);
  for (ConsumerId c = 0; c < kConsumers; ++c) design.on_pull(0, c, static_cast<std::uint32_t>(n), out);
  for (const Action& a : out) owner[a.message.id - 1] = a.consumer;
  return owner;
}

TEST(QueueMapping, hash_binds_each_key_where_the_design_does) {
  const QueueMapping mapping(preassigned("hash"), "redis");
  const auto key_of = [](MessageId id) -> std::uint64_t { return id * 7919 % 23; };
  const std::vector<ConsumerId> owner = design_owners(PreassignedQueue::Assignment::hash, 200, key_of);
  for (MessageId id = 1; id <= 200; ++id) {
    // Any message id and turn: only the key decides.
    EXPECT_EQ(mapping.assign(id << 20, key_of(id), id * 3, kConsumers), owner[id - 1]) << "message " << id;
  }
}

TEST(QueueMapping, round_robin_cycles_from_the_first_consumer_as_the_design_does_for_one_producer) {
  const QueueMapping mapping(preassigned("round_robin"), "beanstalkd");
  const std::vector<ConsumerId> owner = design_owners(PreassignedQueue::Assignment::round_robin, 30,
                                                      [](MessageId) { return std::uint64_t{0}; });
  for (std::uint64_t turn = 0; turn < 30; ++turn) {
    EXPECT_EQ(mapping.assign(1000 + turn * 17, 5, turn, kConsumers), owner[turn]) << "turn " << turn;
  }
}

TEST(QueueMapping, random_spreads_a_producers_ids_evenly_and_ignores_keys) {
  const QueueMapping mapping(preassigned("random"), "nats");
  constexpr std::uint64_t kMessages = 3000;
  std::array<std::uint64_t, kConsumers> count{};
  for (std::uint64_t sequence = 0; sequence < kMessages; ++sequence) {
    const std::uint64_t id = (std::uint64_t{1} << 40) | sequence;  // producer 0's ids, first life
    const std::uint32_t c = mapping.assign(id, 0, 0, kConsumers);
    ASSERT_LT(c, kConsumers);
    EXPECT_EQ(mapping.assign(id, 99, 5, kConsumers), c);  // the id alone decides
    ++count[c];
  }
  // Binomial(3000, 1/3): standard deviation 25.8; 5 of them either side.
  const double sd = std::sqrt(kMessages * (1.0 / kConsumers) * (1.0 - 1.0 / kConsumers));
  for (std::uint64_t n : count) EXPECT_NEAR(static_cast<double>(n), kMessages / 3.0, 5 * sd);
}

TEST(QueueMapping, a_producer_without_consumers_is_an_error_naming_the_back_end) {
  const QueueMapping mapping(preassigned("round_robin"), "redis");
  try {
    mapping.assign(1, 0, 0, 0);
    FAIL() << "assigned to no consumer";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("redis"), std::string::npos) << e.what();
    EXPECT_FALSE(e.connection_lost);
  }
}

}  // namespace
}  // namespace qlab::live
