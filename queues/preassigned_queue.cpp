#include "preassigned_queue.hpp"

#include <utility>

#include "consumer_slot.hpp"

namespace qlab {

PreassignedQueue::PreassignedQueue(Assignment assignment, RandomStream rng)
    : assignment_(assignment), rng_(std::move(rng)) {}

void PreassignedQueue::on_consumer_joined(Time, ConsumerId consumer, ActionBuffer& out) {
  Member& member = consumer_slot(members_, consumer);
  if (member.joined) return;  // a restart: it keeps its place and its messages
  member.joined = true;
  join_order_.push_back(consumer);
  while (!unassigned_.empty()) {
    --backlog_;  // bind() counts it again
    bind(unassigned_.pop_front(), out);
  }
}

void PreassignedQueue::on_publish(Time, const Message& message, ActionBuffer& out) {
  if (join_order_.empty()) {
    unassigned_.push_back(message);
    ++backlog_;
    return;
  }
  bind(message, out);
}

void PreassignedQueue::on_pull(Time, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  Member& member = consumer_slot(members_, consumer);
  member.credit += count;
  drain(consumer, member, out);
}

void PreassignedQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) {
  consumer_slot(members_, consumer).credit = 0;
}

void PreassignedQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer&) {
  consumer_slot(members_, consumer).credit = 0;
}

void PreassignedQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  unassigned_.for_each(visit);
  for (const Member& member : members_) member.fifo.for_each(visit);
}

void PreassignedQueue::bind(const Message& message, ActionBuffer& out) {
  const ConsumerId consumer = choose(message);
  Member& member = members_[consumer];
  member.fifo.push_back(message);
  ++backlog_;
  drain(consumer, member, out);
}

ConsumerId PreassignedQueue::choose(const Message& message) {
  const std::size_t n = join_order_.size();
  switch (assignment_) {
    case Assignment::round_robin: {
      const ConsumerId chosen = join_order_[next_in_turn_];
      next_in_turn_ = (next_in_turn_ + 1) % n;
      return chosen;
    }
    case Assignment::random:
      return join_order_[rng_.next_below(n)];
    case Assignment::hash:
      return join_order_[mix64(message.key) % n];
  }
  QLAB_CHECK(false, "unknown assignment");
}

void PreassignedQueue::drain(ConsumerId consumer, Member& member, ActionBuffer& out) {
  while (member.credit > 0 && !member.fifo.empty()) {
    --member.credit;
    --backlog_;
    out.push_back({ActionKind::deliver, consumer, next_receipt_++, 1, member.fifo.pop_front()});
  }
}

}  // namespace qlab
