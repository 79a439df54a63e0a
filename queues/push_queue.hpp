#pragma once
// Design "push" (RabbitMQ): the broker pushes messages, round robin, to consumers with free prefetch
// credit (the consumer's basic.qos: its open pull credit here), and keeps each delivery until it is acked
// (at-least-once). A nack, or the loss of the consumer's connection, requeues its unacked deliveries at
// the head of the queue, marked redelivered (the next delivery counts one more receive). With
// `consumer_timeout`, a delivery left unacked that long closes its consumer's channel: all that
// consumer's unacked deliveries are requeued and its credit is dropped (its next pull reopens it).
// Delivery tags are never reused, so an ack for a requeued delivery is refused (ack_rejected), as
// RabbitMQ refuses an unknown delivery tag.
#include <cstdint>
#include <deque>
#include <map>

#include "credit_queue.hpp"
#include "queue_design.hpp"

namespace qlab {

class PushQueue final : public QueueDesign {
 public:
  // consumer_timeout 0: never.
  explicit PushQueue(Time consumer_timeout);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_timer(Time now, ActionBuffer& out) override;
  Time next_deadline() const override;

  std::size_t backlog() const override { return ready_.size(); }
  std::size_t held() const override { return ready_.size() + unacked_.size(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  std::uint64_t backlog_bytes() const override { return ready_bytes_; }
  bool drop_oldest(Message& dropped) override;

 private:
  struct Waiting {
    Message message;
    std::uint32_t receive_count = 0;  // deliveries so far
  };
  struct Unacked {
    Waiting entry;
    ConsumerId consumer = 0;
    Time delivered_at = 0;
  };

  // The unacked delivery `receipt` of `consumer`, or nullptr (then an ack_rejected is emitted).
  Unacked* find(ConsumerId consumer, Receipt receipt, ActionBuffer& out);
  // Puts every unacked delivery of `consumer` back at the head, oldest first.
  void requeue_all_of(ConsumerId consumer);
  void dispatch(Time now, ActionBuffer& out);

  Time consumer_timeout_;
  std::deque<Waiting> ready_;
  std::uint64_t ready_bytes_ = 0;  // of ready_
  // By receipt, which grows with delivery time: with one timeout for all, the first entry expires first.
  std::map<Receipt, Unacked> unacked_;
  CreditQueue credits_;
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
