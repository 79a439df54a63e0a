#pragma once
// Designs "power_of_d" and "jsq": the broker pushes each message, as it is published, to one consumer's
// local queue: the shortest of `d` consumers sampled at random (with replacement; d = 1 is random
// assignment), or the shortest of all (join-the-shortest-queue, d = 0 here). A consumer's queue length is
// what is bound to it and not yet delivered plus what it was delivered and has not acked yet (the
// supermarket model's queue, job in service included). Delivery hands the message over (at-most-once);
// acks only shorten the consumer's queue.
//
// Only live consumers are sampled. A lost consumer's undelivered messages are bound again among the live
// ones; with none alive, messages wait unbound until a consumer joins.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "at_most_once_design.hpp"
#include "core/random_stream.hpp"
#include "local_queues.hpp"

namespace qlab {

class PowerOfDQueue final : public AtMostOnceDesign {
 public:
  // d = 0: all live consumers (jsq).
  PowerOfDQueue(std::uint32_t d, RandomStream rng);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;

  std::size_t backlog() const override { return queues_.backlog(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override { queues_.for_each_held(visit); }

 private:
  // Binds `message` to the chosen live consumer (or parks it) and delivers what that consumer can take.
  void route(const Message& message, ActionBuffer& out);
  ConsumerId choose();
  std::size_t length(ConsumerId consumer);
  void deliver(ConsumerId consumer, ActionBuffer& out);

  std::uint32_t d_;
  RandomStream rng_;
  LocalQueues queues_;
  std::vector<ConsumerId> alive_;                       // live consumers, in join order
  std::vector<std::uint64_t> unacked_;                  // by ConsumerId
  std::unordered_map<Receipt, ConsumerId> receipts_;    // deliveries not acked yet
};

}  // namespace qlab
