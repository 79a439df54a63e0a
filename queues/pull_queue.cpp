#include "pull_queue.hpp"

namespace qlab {

void PullQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

void PullQueue::on_publish(Time, const Message& message, ActionBuffer& out) {
  messages_.push_back(message);
  bytes_ += message.size;
  dispatch(out);
}

void PullQueue::on_pull(Time, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  credits_.grant(consumer, count);
  dispatch(out);
}

void PullQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void PullQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void PullQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  messages_.for_each(visit);
}

bool PullQueue::drop_oldest(Message& dropped) {
  if (messages_.empty()) return false;
  dropped = messages_.pop_front();
  bytes_ -= dropped.size;
  return true;
}

void PullQueue::dispatch(ActionBuffer& out) {
  while (!messages_.empty() && !credits_.empty()) {
    const Message message = messages_.pop_front();
    bytes_ -= message.size;
    out.push_back({ActionKind::deliver, credits_.take(), next_receipt_++, 1, message});
  }
}

}  // namespace qlab
