#pragma once
// Bounded queues and message expiry around any design (RabbitMQ's max-length, max-length-bytes, overflow and
// message TTL; SQS's retention period), as a wrapper: the registry puts it around a design only when a limit
// is set, so an unbounded queue pays nothing.
//
// - max_length / max_bytes bound what waits to be delivered (backlog(), backlog_bytes(); deliveries awaiting
//   an ack do not count, as in RabbitMQ). A publish that would exceed a bound is refused (reject_publish:
//   ActionKind::refuse, the producer is told) or makes room by discarding the oldest waiting messages
//   (drop_head; designs with DesignInfo::head_access only).
// - ttl: a message older than ttl (since Message::published_at) when it would be delivered is discarded
//   instead: expiry is checked at the head, as RabbitMQ does, so an expired message nobody asks for stays
//   counted as waiting. Its consumer's credit is given back (and a keeping design's copy acked).
// - Discarded messages are dead-lettered (dead_letter) or dropped (drop), with their DiscardCause.
#include <cstdint>
#include <memory>

#include "queue_design.hpp"

namespace qlab {

struct QueueLimits {
  enum class Overflow { reject_publish, drop_head };
  std::uint64_t max_length = 0;  // 0 = unbounded
  std::uint64_t max_bytes = 0;   // 0 = unbounded
  Overflow overflow = Overflow::reject_publish;
  Time ttl = 0;                  // 0 = messages never expire
  bool dead_letter = false;      // discarded messages go to the dead-letter queue (else they are dropped)

  bool any() const { return max_length != 0 || max_bytes != 0 || ttl != 0; }
};

class LimitedQueue final : public QueueDesign {
 public:
  // `keeps_until_ack`: the inner design's DesignInfo::keeps_until_ack (an expired delivery is acked to it).
  LimitedQueue(std::unique_ptr<QueueDesign> inner, QueueLimits limits, bool keeps_until_ack);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_timer(Time now, ActionBuffer& out) override;
  Time next_deadline() const override { return inner_->next_deadline(); }

  std::uint32_t node_count() const override { return inner_->node_count(); }
  void on_node_crashed(Time now, std::uint32_t node, ActionBuffer& out) override;
  void on_node_restarted(Time now, std::uint32_t node, ActionBuffer& out) override;
  std::uint32_t leader() const override { return inner_->leader(); }
  bool available() const override { return inner_->available(); }

  std::size_t backlog() const override { return inner_->backlog(); }
  std::size_t held() const override { return inner_->held(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override { inner_->for_each_held(visit); }
  MessageId oldest_referable() const override { return inner_->oldest_referable(); }
  std::uint64_t backlog_bytes() const override { return inner_->backlog_bytes(); }
  bool drop_oldest(Message& dropped) override { return inner_->drop_oldest(dropped); }

 private:
  // Whether `incoming` more bytes (one more message) would exceed a bound.
  bool full(std::uint64_t incoming) const;
  void discard(const Message& message, DiscardCause cause, ActionBuffer& out) const;
  // Moves the inner design's actions in `pending_` to `out`, discarding expired deliveries (and pulling again
  // for their consumers, which may deliver more).
  void forward(Time now, ActionBuffer& out);

  std::unique_ptr<QueueDesign> inner_;
  QueueLimits limits_;
  bool keeps_until_ack_;
  ActionBuffer pending_;
};

}  // namespace qlab
