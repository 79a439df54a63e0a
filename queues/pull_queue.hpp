#pragma once
// Design "pull": one shared FIFO. Consumers ask for messages (on_pull opens credit) and each message goes
// to the consumer that has waited longest. Delivery hands the message over (at-most-once): there is no
// ack, no redelivery and no timer, so on_ack, on_release and on_extend do nothing and emit nothing.
#include "at_most_once_design.hpp"
#include "consumer_slot.hpp"
#include "credit_queue.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class PullQueue final : public AtMostOnceDesign {
 public:
  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;

  std::size_t backlog() const override { return messages_.size(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  std::uint64_t backlog_bytes() const override { return bytes_; }
  bool drop_oldest(Message& dropped) override;
  ConsumerId next_receiver_hint(std::size_t later) const override { return credits_.next_hint(later); }
  void prefetch_reply(ConsumerId consumer, Receipt) const override { credits_.prefetch(consumer); }

 private:
  // Emits the delivery of `message` to `consumer`.
  void deliver(ConsumerId consumer, const Message& message, ActionBuffer& out);

  RingBuffer<Message> messages_;
  CreditQueue credits_;
  std::uint64_t bytes_ = 0;   // of messages_
  Receipt next_receipt_ = 1;  // receipts only make deliveries distinguishable; nothing redeems them
};

}  // namespace qlab
