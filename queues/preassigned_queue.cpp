#include "preassigned_queue.hpp"

#include <utility>

#include "consumer_slot.hpp"

namespace qlab {

PreassignedQueue::PreassignedQueue(Assignment assignment, RandomStream rng, std::uint32_t expected_consumers)
    : assignment_(assignment), rng_(std::move(rng)) {
  for (ConsumerId c = 0; c < expected_consumers; ++c) {
    consumer_slot(members_, c).in_set = true;
    assignment_set_.push_back(c);
  }
}

void PreassignedQueue::on_consumer_joined(Time, ConsumerId consumer, ActionBuffer& out) {
  Member& member = consumer_slot(members_, consumer);
  if (member.in_set) return;  // expected, or a restart: it keeps its place and its messages
  member.in_set = true;
  assignment_set_.push_back(consumer);
  while (!unassigned_.empty()) {
    --backlog_;  // bind() counts it again
    bind(unassigned_.pop_front(), out);
  }
}

void PreassignedQueue::on_publish(Time, const Message& message, ActionBuffer& out) {
  if (assignment_set_.empty()) {
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
  const std::size_t n = assignment_set_.size();
  switch (assignment_) {
    case Assignment::round_robin: {
      const ConsumerId chosen = assignment_set_[next_in_turn_];
      next_in_turn_ = (next_in_turn_ + 1) % n;
      return chosen;
    }
    case Assignment::random:
      return assignment_set_[rng_.next_below(n)];
    case Assignment::hash:
      return assignment_set_[mix64(message.key) % n];
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
