#pragma once
// The broker-side local queues of designs that bind each message to one consumer before it is delivered
// (power_of_d, jsq, work_stealing): a FIFO and open credit per consumer, the consumers in join order, and
// the messages that arrived while no consumer could take them. Delivery hands a message over
// (at-most-once); receipts only make deliveries distinguishable.
#include <cstdint>
#include <functional>
#include <vector>

#include "queue_design.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class LocalQueues {
 public:
  struct Local {
    RingBuffer<Message> fifo;  // bound to this consumer, not yet delivered
    std::uint64_t credit = 0;
    bool alive = false;        // joined and not lost since
  };

  // Marks `consumer` alive; the first join also appends it to members().
  void join(ConsumerId consumer);
  // Marks `consumer` lost (its credit is dropped; its FIFO stays until the design moves it).
  void lose(ConsumerId consumer);
  Local& at(ConsumerId consumer);
  // Every consumer that ever joined, in join order.
  const std::vector<ConsumerId>& members() const { return members_; }
  std::size_t alive_count() const { return alive_count_; }

  // Appends `message` to `consumer`'s FIFO.
  void bind(ConsumerId consumer, const Message& message);
  // Moves the last `count` messages of `from`'s FIFO, in order, to the end of `to`'s.
  void move_tail(ConsumerId from, ConsumerId to, std::size_t count);
  // Keeps `message` aside until some consumer can take it.
  void park(const Message& message);
  // Removes and returns the parked messages, oldest first.
  std::vector<Message> unpark();
  // Removes and returns `consumer`'s FIFO, oldest first.
  std::vector<Message> unbind_all(ConsumerId consumer);
  // Delivers from `consumer`'s FIFO while it has credit; returns how many it delivered.
  std::size_t drain(ConsumerId consumer, ActionBuffer& out);

  std::size_t backlog() const { return backlog_; }
  void for_each_held(const std::function<void(const Message&)>& visit) const;

 private:
  std::vector<Local> locals_;  // by ConsumerId
  std::vector<ConsumerId> members_;
  std::vector<bool> known_;    // by ConsumerId: in members_
  std::size_t alive_count_ = 0;
  RingBuffer<Message> parked_;
  std::size_t backlog_ = 0;  // parked and bound messages
  Receipt next_receipt_ = 1;

  std::vector<Message> take(RingBuffer<Message>& fifo);
};

}  // namespace qlab
