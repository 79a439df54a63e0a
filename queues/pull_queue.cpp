#include "pull_queue.hpp"

namespace qlab {

void PullQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

// Between inputs, messages wait only while no consumer has credit (each input delivers all it can). So a
// publish finds either waiting consumers (and no message ahead of it) or no credit, and a pull that finds
// no credit open is the only one to serve: no input goes through both the FIFO and the credit line.
void PullQueue::on_publish(Time, const Message& message, ActionBuffer& out) {
  if (!credits_.empty()) {
    deliver(credits_.take(), message, out);
    return;
  }
  messages_.push_back(message);
  bytes_ += message.size;
}

void PullQueue::on_pull(Time, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  if (credits_.empty() && count > 0) {
    check_consumer_id(consumer);  // as the grant it skips would
    for (; count > 0 && !messages_.empty(); --count) {
      bytes_ -= messages_.front().size;
      deliver(consumer, messages_.front(), out);
      messages_.drop_front();
    }
  }
  credits_.grant(consumer, count);
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

void PullQueue::deliver(ConsumerId consumer, const Message& message, ActionBuffer& out) {
  Action& action = out.emplace_back();  // built in place: no copy of the action or its message
  action.consumer = consumer;
  action.receipt = next_receipt_++;
  action.receive_count = 1;
  action.message = message;
}

}  // namespace qlab
