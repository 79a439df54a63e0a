#pragma once
// What the simulator's event loop runs: an event's type and its fields.
#include <cstdint>

#include "queues/queue_design.hpp"

namespace qlab::sim {

enum class EventType : std::uint8_t {
  produce,          // a producer publishes its next message(s)
  producer_stops,   // a producer reaches the scenario's duration
  producer_restarts,
  publish_arrives,  // a published message reaches the broker (entity: producer, token: its epoch, count: earlier
                    // sends of it that were refused)
  publish_retry,    // a producer sends a refused message again (as publish_arrives)
  delivery_arrives, // a delivered message reaches its consumer (token: the consumer's epoch)
  reply_arrives,    // a consumer's ack (receipt != 0) and pull (count) reach the broker (token: kLateAck for the ack
                    // of a message processed before; kReleaseReply when the receipt is released, not acked)
  join_arrives,     // a (re)started consumer's hello and first pull reach the broker
  service_done,     // a consumer finishes processing its current message
  design_timer,     // the design's next_deadline()
  fault_fires,      // fault spec `entity` strikes
  window_closes,    // the partition, drop or delay window `entity` ends
  stall_ends,       // consumer `entity`'s stall number `token` ends
  consumer_restarts,
  broker_restarts,  // entity: the node
  autoscale_tick,   // consumer group `entity`'s scaling policy looks
  consumer_starts,  // a consumer the autoscaler started joins (token: its epoch)
  broker_done,      // broker server `entity` finished its job (only with a `broker:` cost)
};

// Whether an event of `type` carries a message (a publish, a retried publish, a delivery); the others'
// message is empty.
inline bool carries_message(EventType type) {
  return type == EventType::publish_arrives || type == EventType::publish_retry || type == EventType::delivery_arrives;
}

// reply_arrives' token for the ack of a copy whose message was already processed: a drained run waits for it,
// as the design may count it as stale.
inline constexpr std::uint32_t kLateAck = 1;
// reply_arrives' token for a release (nack) of the receipt instead of an ack.
inline constexpr std::uint32_t kReleaseReply = 2;

struct Event {
  EventType type;
  std::uint32_t entity = 0;  // producer, consumer, fault or window index
  std::uint32_t token = 0;   // epoch / work token / timer generation, to void stale events
  std::uint32_t count = 0;
  Receipt receipt = 0;
  Message message;
  // The broker incarnation a client's message was sent to, or a delivery came from: a single-node broker
  // that restarts starts afresh, and what belonged to its previous life must not reach the new one.
  std::uint32_t incarnation = 0;
};

}  // namespace qlab::sim
