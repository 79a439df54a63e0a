#pragma once
// Design "fifo_groups" (SQS FIFO queues): every message belongs to a message group, taken from its key
// (`groups` 0: the key itself; else the key modulo `groups`). Within a group, messages are delivered in
// publish order and at most one is in flight: a group's next message waits until the previous one is acked,
// or until its visibility timeout expires (then that same message is delivered again first). Groups take
// turns in the order in which they became ready. At-least-once, with visibility-timeout semantics: a
// delivery is hidden for `visibility_timeout`; release makes it available at once; extend moves its
// deadline. Receipts are never reused; an ack, release or extend of a receipt that is no longer in flight
// is refused (ack_rejected). A lost consumer's deliveries wait for their timeout, as in SQS.
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "credit_queue.hpp"
#include "queue_design.hpp"

namespace qlab {

class FifoGroupsQueue final : public QueueDesign {
 public:
  FifoGroupsQueue(std::uint64_t groups, Time visibility_timeout);

  // The group of a message with key `key` when the design has `groups` groups (0: the key itself).
  static std::uint64_t group_of(std::uint64_t key, std::uint64_t groups) { return groups == 0 ? key : key % groups; }

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

  std::size_t backlog() const override { return waiting_; }
  std::size_t held() const override { return waiting_ + in_flight_.size(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;

 private:
  struct Pending {
    Message message;
    std::uint32_t receive_count = 0;  // deliveries so far
  };
  struct Group {
    std::deque<Pending> queue;  // not in flight, publish order
    bool blocked = false;       // one of its messages is in flight
  };
  struct InFlight {
    Pending pending;
    std::uint64_t group = 0;
    Time deadline = 0;
  };

  // The in-flight delivery named by `receipt`, or in_flight_.end() after emitting ack_rejected.
  std::map<Receipt, InFlight>::iterator find(ConsumerId consumer, Receipt receipt, ActionBuffer& out);
  // Ends the delivery `it`; its message goes back to the head of its group when `redeliver`.
  void finish(std::map<Receipt, InFlight>::iterator it, bool redeliver);
  void dispatch(Time now, ActionBuffer& out);

  std::uint64_t groups_;
  Time visibility_timeout_;
  std::unordered_map<std::uint64_t, Group> by_group_;  // groups holding a message (waiting or in flight)
  std::deque<std::uint64_t> ready_;                     // unblocked groups with a waiting message, in turn
  std::map<Receipt, InFlight> in_flight_;
  std::set<std::pair<Time, Receipt>> deadlines_;
  CreditQueue credits_;
  std::size_t waiting_ = 0;
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
