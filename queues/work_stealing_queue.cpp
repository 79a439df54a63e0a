#include "work_stealing_queue.hpp"

#include <utility>
#include <vector>

namespace qlab {

WorkStealingQueue::WorkStealingQueue(Steal steal, Victim victim, RandomStream rng)
    : steal_(steal), victim_(victim), rng_(std::move(rng)) {}

void WorkStealingQueue::on_consumer_joined(Time, ConsumerId consumer, ActionBuffer& out) {
  queues_.join(consumer);
  for (const Message& m : queues_.unpark()) bind(m, out);
  serve(consumer, out);
  feed(out);
}

void WorkStealingQueue::on_publish(Time, const Message& message, ActionBuffer& out) {
  if (queues_.members().empty()) {
    queues_.park(message);
    return;
  }
  bind(message, out);
  feed(out);
}

void WorkStealingQueue::on_pull(Time, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  queues_.at(consumer).credit += count;
  serve(consumer, out);
  feed(out);
}

void WorkStealingQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) {
  queues_.at(consumer).credit = 0;
  hungry_.erase(consumer);
}

void WorkStealingQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer&) {
  queues_.lose(consumer);
  hungry_.erase(consumer);
}

void WorkStealingQueue::bind(const Message& message, ActionBuffer& out) {
  const std::vector<ConsumerId>& members = queues_.members();
  const ConsumerId consumer = members[next_in_turn_];
  next_in_turn_ = (next_in_turn_ + 1) % members.size();
  queues_.bind(consumer, message);
  serve(consumer, out);
}

void WorkStealingQueue::serve(ConsumerId consumer, ActionBuffer& out) {
  queues_.drain(consumer, out);
  const LocalQueues::Local& local = queues_.at(consumer);
  if (local.alive && local.credit > 0 && local.fifo.empty()) {
    hungry_.insert(consumer);
  } else {
    hungry_.erase(consumer);
  }
}

void WorkStealingQueue::feed(ActionBuffer& out) {
  while (!hungry_.empty()) {
    const ConsumerId thief = *hungry_.begin();
    const ConsumerId victim = pick_victim(thief);
    if (victim == thief) return;  // nothing queued anywhere else: every hungry consumer stays hungry
    const std::size_t queued = queues_.at(victim).fifo.size();
    const std::size_t count = steal_ == Steal::one ? 1 : (queued + 1) / 2;
    queues_.move_tail(victim, thief, count);
    stolen_ += count;
    serve(thief, out);
  }
}

ConsumerId WorkStealingQueue::pick_victim(ConsumerId thief) {
  ConsumerId chosen = thief;
  std::size_t best = 0;
  std::uint64_t candidates = 0;
  for (const ConsumerId c : queues_.members()) {
    const std::size_t queued = queues_.at(c).fifo.size();
    if (c == thief || queued == 0) continue;
    ++candidates;
    // longest: the first of the longest in join order; random: uniform among non-empty (reservoir sampling).
    const bool take = victim_ == Victim::longest ? queued > best : rng_.next_below(candidates) == 0;
    if (take) {
      chosen = c;
      best = queued;
    }
  }
  return chosen;
}

}  // namespace qlab
