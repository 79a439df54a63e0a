#pragma once
// A simulated consumer: what it holds, what it is doing, and the time it spent in each phase. Its state is
// split in records kept in arrays by consumer index: what every message touches (SimConsumer, two cache
// lines), the rest (SimConsumerCold, one line), and the network streams, which exist only with network
// latency (ConsumerNetwork, one line). With 100,000 consumers the records do not fit in the cache; each
// message misses only on the hot ones. A consumer's name is not kept: it follows from its group and index.
#include <cstdint>

#include "core/random_stream.hpp"
#include "delivery_buffer.hpp"
#include "queues/queue_design.hpp"

namespace qlab::sim {

// A delivery as a consumer holds it: the message without its key and size, which nothing reads once it is
// delivered (the ledger reads a message's id, publish time and origin), so that it takes 32 bytes.
struct Delivery {
  // Origins (producer groups) below this fit; a scenario cannot hold that many groups.
  static constexpr std::uint32_t kOriginLimit = 1U << 31;

  Delivery() = default;
  Delivery(const Message& message, Receipt receipt_of_it, std::uint32_t incarnation_of_broker = 0)
      : id(message.id),
        published_at(message.published_at),
        receipt(receipt_of_it),
        incarnation(incarnation_of_broker),
        origin(message.origin & (kOriginLimit - 1)),
        poison(message.poison) {}
  // The message as the ledger sees it (key and size 0).
  Message message() const { return Message{.id = id, .published_at = published_at, .origin = origin, .poison = poison}; }

  MessageId id = 0;
  Time published_at = 0;
  Receipt receipt = 0;
  std::uint32_t incarnation = 0;  // of the broker that delivered it: its receipt means nothing to another
  std::uint32_t origin : 31 = 0;
  bool poison : 1 = false;
};

enum class ConsumerPhase : std::uint8_t { down, idle, busy, stalled };

// What a delivery, the start of a service and a completion read and write, on two whole cache lines.
// Phase times are running sums: a change of phase adds the clock to the sum of the phase it leaves and
// subtracts it from the one it enters, so that no phase start needs keeping (integers: the totals are exact).
struct alignas(64) SimConsumer {
  // Line 1: state, the message in service, what waits.
  ConsumerPhase phase = ConsumerPhase::idle;
  bool has_current = false;
  bool slowed = false;            // a slow fault struck: starts look at SimConsumerCold::slow_until
  std::uint32_t work_token = 0;   // bumps when a scheduled service completion becomes void (stall)
  std::uint32_t group = 0;
  std::uint32_t epoch = 0;        // bumps on crash and restart: in-flight events for an old life are void
  Delivery current;
  DeliveryBuffer<Delivery> buffer;  // received, not started
  // Line 2: what starting and finishing a service read and write.
  Time busy = 0;
  Time idle_with_backlog = 0;     // a sum of W(t), the waiting clock, over its idle phases' ends and starts
  std::uint64_t processed = 0;
  Time done_at = 0;
  RandomStream service_rng;
};
static_assert(sizeof(SimConsumer) == 128, "a consumer's hot record is two cache lines");

// The rest of a consumer: what only faults, autoscaling, joins and the end of the run read.
struct alignas(64) SimConsumerCold {
  Time alive = 0;                // running sum over its changes between down and up
  std::uint32_t prefetch = 1;
  std::uint32_t stall_token = 0;
  Time slow_until = 0;            // services starting before this take `slow_factor` times longer
  double slow_factor = 1;
  Time remaining_service = 0;     // while stalled in the middle of a message
  bool rejoin_on_resume = false;  // the broker restarted while it was frozen: it reconnects when it resumes
  bool retiring = false;          // autoscaled down: pulls no more, leaves once it holds nothing
  bool starting = false;          // autoscaled up: joins after the startup delay
  Time starting_since = 0;
};
static_assert(sizeof(SimConsumerCold) == 64, "a consumer's cold record is one cache line");

// A consumer's network streams: kept (and derived) only when the network has latency, as only a hop's delay
// draws from them.
struct alignas(64) ConsumerNetwork {
  RandomStream to_broker;    // network latency of its acks and pulls
  RandomStream from_broker;  // network latency of its deliveries
};

}  // namespace qlab::sim
