#include "power_of_d_queue.hpp"

#include <algorithm>
#include <utility>

#include "consumer_slot.hpp"

namespace qlab {

PowerOfDQueue::PowerOfDQueue(std::uint32_t d, RandomStream rng) : d_(d), rng_(std::move(rng)) {}

void PowerOfDQueue::on_consumer_joined(Time, ConsumerId consumer, ActionBuffer& out) {
  if (queues_.at(consumer).alive) return;
  queues_.join(consumer);
  alive_.push_back(consumer);
  for (const Message& m : queues_.unpark()) route(m, out);
}

void PowerOfDQueue::on_publish(Time, const Message& message, ActionBuffer& out) { route(message, out); }

void PowerOfDQueue::on_pull(Time, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  queues_.at(consumer).credit += count;
  deliver(consumer, out);
}

void PowerOfDQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { queues_.at(consumer).credit = 0; }

void PowerOfDQueue::on_ack(Time, ConsumerId, Receipt receipt, ActionBuffer&) {
  const auto it = receipts_.find(receipt);
  if (it == receipts_.end()) return;  // a stale or repeated ack: at-most-once accepts it silently
  --unacked_[it->second];
  receipts_.erase(it);
}

void PowerOfDQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer& out) {
  if (!queues_.at(consumer).alive) return;
  queues_.lose(consumer);
  std::erase(alive_, consumer);
  consumer_slot(unacked_, consumer) = 0;
  std::erase_if(receipts_, [consumer](const auto& entry) { return entry.second == consumer; });
  for (const Message& m : queues_.unbind_all(consumer)) route(m, out);
}

void PowerOfDQueue::route(const Message& message, ActionBuffer& out) {
  if (alive_.empty()) {
    queues_.park(message);
    return;
  }
  const ConsumerId consumer = choose();
  queues_.bind(consumer, message);
  deliver(consumer, out);
}

ConsumerId PowerOfDQueue::choose() {
  if (d_ != 0) {
    ConsumerId best = alive_[rng_.next_below(alive_.size())];
    for (std::uint32_t i = 1; i < d_; ++i) {
      const ConsumerId other = alive_[rng_.next_below(alive_.size())];
      if (length(other) < length(best)) best = other;
    }
    return best;
  }
  // Join the shortest queue; ties are broken uniformly at random (reservoir sampling).
  ConsumerId best = alive_.front();
  std::size_t best_length = length(best);
  std::uint64_t ties = 1;
  for (std::size_t i = 1; i < alive_.size(); ++i) {
    const std::size_t n = length(alive_[i]);
    if (n < best_length) {
      best = alive_[i];
      best_length = n;
      ties = 1;
    } else if (n == best_length && rng_.next_below(++ties) == 0) {
      best = alive_[i];
    }
  }
  return best;
}

std::size_t PowerOfDQueue::length(ConsumerId consumer) {
  return queues_.at(consumer).fifo.size() + consumer_slot(unacked_, consumer);
}

void PowerOfDQueue::deliver(ConsumerId consumer, ActionBuffer& out) {
  const std::size_t first = out.size();
  queues_.drain(consumer, out);
  for (std::size_t i = first; i < out.size(); ++i) receipts_.emplace(out[i].receipt, consumer);
  consumer_slot(unacked_, consumer) += out.size() - first;
}

}  // namespace qlab
