#pragma once
// Design "preassigned": each message is bound to one consumer when it is published, and only that consumer
// ever receives it (up to its open credit). Delivery hands the message over (at-most-once), as in "pull".
//
// Messages are bound among the consumers that have joined, in join order. A lost consumer stays in that set:
// assignment is decided up front, and its messages wait for it to come back. Messages published before any
// consumer has joined wait unassigned and are bound, in order, when the first consumer joins.
#include <cstdint>
#include <vector>

#include "at_most_once_design.hpp"
#include "core/random_stream.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class PreassignedQueue final : public AtMostOnceDesign {
 public:
  enum class Assignment {
    round_robin,  // cycle over the joined consumers in join order
    random,       // uniformly among the joined consumers, drawn from the design's stream
    hash,         // by message key: equal keys go to the same consumer while the set is unchanged
  };

  PreassignedQueue(Assignment assignment, RandomStream rng);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;

  std::size_t backlog() const override { return backlog_; }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;

 private:
  struct Member {
    RingBuffer<Message> fifo;  // messages bound to this consumer, not yet delivered
    std::uint64_t credit = 0;
    bool joined = false;
  };

  // Binds `message` to a joined consumer and delivers it at once if that consumer has credit.
  void bind(const Message& message, ActionBuffer& out);
  ConsumerId choose(const Message& message);
  // Delivers from `consumer`'s FIFO while it has credit.
  void drain(ConsumerId consumer, Member& member, ActionBuffer& out);

  Assignment assignment_;
  RandomStream rng_;
  std::vector<Member> members_;         // by ConsumerId
  std::vector<ConsumerId> join_order_;  // the assignment set
  std::size_t next_in_turn_ = 0;        // round_robin: index into join_order_
  RingBuffer<Message> unassigned_;      // published before any consumer joined
  std::size_t backlog_ = 0;
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
