#pragma once
// Design "work_stealing": messages are bound round robin, in join order, to the consumers' local queues
// as in "preassigned", but a consumer with open credit and an empty queue steals from another consumer's
// queue: the newest message (`steal: one`) or the newer half (`steal: half`) of a random non-empty queue
// (`victim: random`) or of the longest (`victim: longest`). A lost consumer keeps its place and its queue,
// which the others steal from. Delivery hands the message over (at-most-once).
#include <cstdint>
#include <set>

#include "at_most_once_design.hpp"
#include "core/random_stream.hpp"
#include "local_queues.hpp"

namespace qlab {

class WorkStealingQueue final : public AtMostOnceDesign {
 public:
  enum class Steal { one, half };
  enum class Victim { random, longest };

  WorkStealingQueue(Steal steal, Victim victim, RandomStream rng);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;

  std::size_t backlog() const override { return queues_.backlog(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override { queues_.for_each_held(visit); }
  // Messages moved from one consumer's queue to another's so far.
  std::uint64_t stolen() const { return stolen_; }

 private:
  void bind(const Message& message, ActionBuffer& out);
  // Delivers what `consumer` can take and updates whether it is hungry (alive, credit, nothing queued).
  void serve(ConsumerId consumer, ActionBuffer& out);
  // Lets hungry consumers steal until none is hungry or no queue has anything left to steal.
  void feed(ActionBuffer& out);
  // The queue a hungry `thief` steals from; `thief` itself when no other queue holds anything.
  ConsumerId pick_victim(ConsumerId thief);

  Steal steal_;
  Victim victim_;
  RandomStream rng_;
  LocalQueues queues_;
  std::size_t next_in_turn_ = 0;  // index into queues_.members()
  std::set<ConsumerId> hungry_;
  std::uint64_t stolen_ = 0;
};

}  // namespace qlab
