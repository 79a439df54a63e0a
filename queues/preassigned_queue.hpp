#pragma once
// Design "preassigned": each message is bound to one consumer when it is published, and only that consumer
// ever receives it (up to its open credit). Delivery hands the message over (at-most-once), as in "pull".
//
// Messages are bound among an assignment set of consumers. With `expected_consumers` = N > 0 (the scenario's
// consumers, ids 0..N-1) the set is those N from the start: work is split up front, also what is published
// before they join, and each message waits for its consumer. Any other consumer that joins is added after
// them. With N = 0 the set is the consumers that have joined, in join order, and messages published before
// any has joined wait unassigned until the first one joins. A lost consumer stays in the set: its messages
// wait for it to come back.
#include <cstdint>
#include <vector>

#include "at_most_once_design.hpp"
#include "core/random_stream.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class PreassignedQueue final : public AtMostOnceDesign {
 public:
  enum class Assignment {
    round_robin,  // cycle over the assignment set in its order
    random,       // uniformly among the assignment set, drawn from the design's stream
    hash,         // by message key: equal keys go to the same consumer while the set is unchanged
  };

  // More is refused as bad input: each costs a slot up front.
  static constexpr std::int64_t kMaxExpectedConsumers = 1 << 20;

  PreassignedQueue(Assignment assignment, RandomStream rng, std::uint32_t expected_consumers = 0);

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
    bool in_set = false;
  };

  // Binds `message` to a consumer of the assignment set and delivers it at once if that consumer has credit.
  void bind(const Message& message, ActionBuffer& out);
  ConsumerId choose(const Message& message);
  // Delivers from `consumer`'s FIFO while it has credit.
  void drain(ConsumerId consumer, Member& member, ActionBuffer& out);

  Assignment assignment_;
  RandomStream rng_;
  std::vector<Member> members_;         // by ConsumerId
  std::vector<ConsumerId> assignment_set_;
  std::size_t next_in_turn_ = 0;        // round_robin: index into assignment_set_
  RingBuffer<Message> unassigned_;      // published while the assignment set is empty
  std::size_t backlog_ = 0;
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
