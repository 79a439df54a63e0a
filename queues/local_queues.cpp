#include "local_queues.hpp"

#include "consumer_slot.hpp"

namespace qlab {

void LocalQueues::join(ConsumerId consumer) {
  Local& local = consumer_slot(locals_, consumer);
  if (consumer >= known_.size()) known_.resize(static_cast<std::size_t>(consumer) + 1, false);
  if (!known_[consumer]) {
    known_[consumer] = true;
    members_.push_back(consumer);
  }
  if (!local.alive) ++alive_count_;
  local.alive = true;
}

void LocalQueues::lose(ConsumerId consumer) {
  Local& local = consumer_slot(locals_, consumer);
  if (local.alive) --alive_count_;
  local.alive = false;
  local.credit = 0;
}

LocalQueues::Local& LocalQueues::at(ConsumerId consumer) { return consumer_slot(locals_, consumer); }

void LocalQueues::bind(ConsumerId consumer, const Message& message) {
  at(consumer).fifo.push_back(message);
  ++backlog_;
}

void LocalQueues::move_tail(ConsumerId from, ConsumerId to, std::size_t count) {
  RingBuffer<Message>& source = at(from).fifo;
  QLAB_CHECK(count <= source.size() && from != to, "move_tail beyond the source FIFO");
  const std::size_t keep = source.size() - count;
  std::vector<Message> moved;
  std::size_t index = 0;
  source.retain([&](const Message& m) {
    if (index++ < keep) return true;
    moved.push_back(m);
    return false;
  });
  for (const Message& m : moved) at(to).fifo.push_back(m);
}

void LocalQueues::park(const Message& message) {
  parked_.push_back(message);
  ++backlog_;
}

std::vector<Message> LocalQueues::unpark() { return take(parked_); }

std::vector<Message> LocalQueues::unbind_all(ConsumerId consumer) { return take(at(consumer).fifo); }

std::vector<Message> LocalQueues::take(RingBuffer<Message>& fifo) {
  std::vector<Message> out;
  out.reserve(fifo.size());
  while (!fifo.empty()) out.push_back(fifo.pop_front());
  backlog_ -= out.size();
  return out;
}

std::size_t LocalQueues::drain(ConsumerId consumer, ActionBuffer& out) {
  Local& local = at(consumer);
  std::size_t delivered = 0;
  while (local.credit > 0 && !local.fifo.empty()) {
    --local.credit;
    --backlog_;
    ++delivered;
    out.push_back({ActionKind::deliver, consumer, next_receipt_++, 1, local.fifo.pop_front()});
  }
  return delivered;
}

void LocalQueues::for_each_held(const std::function<void(const Message&)>& visit) const {
  parked_.for_each(visit);
  for (const Local& local : locals_) local.fifo.for_each(visit);
}

}  // namespace qlab
