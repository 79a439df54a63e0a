#pragma once
// The contract every queue design implements. A design is a passive state machine (ngtcp2's timer
// contract): it never reads a clock, starts a thread or opens a socket. Every input carries `now`;
// every reaction is appended to a caller-owned ActionBuffer; next_deadline() says when the caller must
// call on_timer() again. The same object runs under the simulator and inside the live broker.
//
// Inputs are in non-decreasing `now`. Consumers are small dense integers chosen by the caller.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace qlab {

using MessageId = std::uint64_t;
using ConsumerId = std::uint32_t;
inline constexpr ConsumerId kNoConsumer = UINT32_MAX;
using Receipt = std::uint64_t;  // names one delivery of one message; 0 is never a valid receipt
inline constexpr MessageId kNoMessage = UINT64_MAX;

struct Message {
  MessageId id = 0;
  Time published_at = 0;   // carried for latency accounting; designs never interpret it
  std::uint64_t key = 0;   // partitioning / hash-assignment key
  std::uint32_t size = 0;  // bytes
  std::uint32_t origin = 0;  // the producer group, for per-group metrics; designs never interpret it
  // A workload property the simulator reads (its processing always fails); designs never interpret it.
  bool poison = false;
};

enum class ActionKind : std::uint8_t {
  deliver,       // hand `message` to `consumer` under `receipt`; `receive_count` counts this delivery
  dead_letter,   // `message` moved to the dead-letter queue; it will never be delivered again
  ack_rejected,  // an ack/extend/release with a receipt that is no longer current was refused (error to client)
  ack_ignored,   // same, but accepted silently and dropped (SQS behaviour)
  confirm,       // `message`'s publish is confirmed to its producer (designs with DesignInfo::confirms_publishes)
  refuse,        // `message`'s publish is refused (no leader, too few in-sync replicas); it was not accepted
  lose,          // the design lost `message` for good (it lived only on crashed or unelected nodes); `node` names
                 // the node whose loss caused it
  drop,          // the queue discarded `message` by its own policy (`cause`: expired or overflow), no dead-letter queue
};

// Why a message was dead-lettered or dropped.
enum class DiscardCause : std::uint8_t {
  max_receives,  // received too many times (max_receives, delivery_limit)
  expired,       // waited longer than the queue's ttl
  overflow,      // pushed out of a full queue (overflow: drop_head)
  failed,        // never emitted by designs: the simulator's cause for a message whose processing failed after an
                 // at-most-once design had handed it over (nothing keeps it for another try)
};
inline constexpr int kDiscardCauses = 4;

struct Action {
  ActionKind kind = ActionKind::deliver;
  ConsumerId consumer = 0;
  Receipt receipt = 0;
  std::uint32_t receive_count = 0;
  Message message;
  std::uint32_t node = 0;  // lose: the broker node whose failure lost the message
  DiscardCause cause = DiscardCause::max_receives;  // dead_letter, drop
};

using ActionBuffer = std::vector<Action>;

class QueueDesign {
 public:
  virtual ~QueueDesign() = default;

  // A consumer becomes known to the design (before its first pull). Preassigned designs bind messages to
  // the consumers they expect and to those that have joined. Joining again after on_consumer_lost is allowed
  // (a restart).
  virtual void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) = 0;
  // A producer's message reaches the queue. Accepted unconditionally.
  virtual void on_publish(Time now, const Message& message, ActionBuffer& out) = 0;
  // `consumer` has room for `count` more messages. The request stays open (long-poll): the design
  // delivers as messages become available until `count` deliveries were made or the consumer is lost.
  virtual void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) = 0;
  // Withdraws whatever is left of `consumer`'s open pull requests (a long-poll that timed out).
  virtual void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) = 0;
  // `consumer` finished the delivery named by `receipt` (delete). Designs without acks ignore it.
  virtual void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) = 0;
  // `consumer` gives the delivery back unprocessed (nack): it becomes available again at once.
  virtual void on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) = 0;
  // `consumer` needs more time: the delivery stays hidden until now + `timeout` (change visibility).
  virtual void on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) = 0;
  // The consumer's connection is gone (crash, disconnect). Its open pulls are withdrawn.
  virtual void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) = 0;
  // Called at or after next_deadline().
  virtual void on_timer(Time now, ActionBuffer& out) = 0;
  // When on_timer must next be called; kNever when nothing is pending.
  virtual Time next_deadline() const = 0;

  // Broker nodes. Single-node designs keep the defaults: the caller models their crash by discarding the
  // design (everything it held is lost) and making a fresh one on restart.
  virtual std::uint32_t node_count() const { return 1; }
  // Node `node` stopped: its in-memory state is gone. Multi-node designs fail over as they define.
  virtual void on_node_crashed(Time /*now*/, std::uint32_t /*node*/, ActionBuffer& /*out*/) {}
  // Node `node` is back, empty; it catches up as the design defines.
  virtual void on_node_restarted(Time /*now*/, std::uint32_t /*node*/, ActionBuffer& /*out*/) {}
  // The node that currently leads (the target of a `leader` fault).
  virtual std::uint32_t leader() const { return 0; }
  // Whether publishes are accepted now (false while no leader is elected or too few replicas are in sync).
  virtual bool available() const { return true; }

  // Messages waiting to be delivered (not counting deliveries awaiting an ack).
  virtual std::size_t backlog() const = 0;
  // Every message the design is responsible for: waiting ones and deliveries awaiting an ack.
  virtual std::size_t held() const = 0;
  // Visits every message counted by held(), in no particular order (end-of-run accounting).
  virtual void for_each_held(const std::function<void(const Message&)>& visit) const = 0;

  // Head access, for bounded queues (limited_queue.hpp) on designs with DesignInfo::head_access: the bytes of
  // the messages counted by backlog(), and removing the message that would be delivered next (false: none).
  virtual std::uint64_t backlog_bytes() const { return 0; }
  virtual bool drop_oldest(Message& /*dropped*/) { return false; }
  // A hint, never a promise: the consumer the published message after the next `later` ones would most
  // likely be delivered to, or kNoConsumer; the design starts loading its own state for that consumer. A
  // simulator prefetches the consumer's state too; what the design does never depends on it.
  virtual ConsumerId next_receiver_hint(std::size_t /*later*/) const { return kNoConsumer; }
  // The oldest message this design may still name in an action or hand out again, kNoMessage for none, or
  // 0 when it cannot tell: a simulator forgets the fates of older messages that nothing else names. By
  // default the oldest it holds; a design that keeps records to replay, or cannot tell, overrides it (the
  // conformance suite holds every design to its answer).
  virtual MessageId oldest_referable() const { return oldest_held(); }
  // A hint: starts loading what `consumer`'s next reply (an ack of `receipt`, 0 for none, and a pull) will
  // touch (a simulator calls it an event ahead).
  virtual void prefetch_reply(ConsumerId /*consumer*/, Receipt /*receipt*/) const {}

 protected:
  // The oldest message for_each_held visits, kNoMessage for none.
  MessageId oldest_held() const {
    MessageId oldest = kNoMessage;
    for_each_held([&oldest](const Message& m) { oldest = std::min(oldest, m.id); });
    return oldest;
  }
};

}  // namespace qlab
