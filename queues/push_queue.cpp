#include "push_queue.hpp"

#include <iterator>
#include <vector>

#include "core/check.hpp"
#include "design_helpers.hpp"

namespace qlab {

PushQueue::PushQueue(Time consumer_timeout) : consumer_timeout_(consumer_timeout) {
  QLAB_CHECK(consumer_timeout_ >= 0, "consumer_timeout must not be negative");
}

void PushQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

void PushQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  ready_.push_back({message, 0});
  ready_bytes_ += message.size;
  dispatch(now, out);
}

void PushQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  credits_.grant(consumer, count);
  dispatch(now, out);
}

void PushQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void PushQueue::on_ack(Time, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  if (find(consumer, receipt, out) != nullptr) unacked_.erase(receipt);
}

void PushQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  Unacked* delivery = find(consumer, receipt, out);
  if (delivery == nullptr) return;
  ready_.push_front(delivery->entry);
  ready_bytes_ += delivery->entry.message.size;
  unacked_.erase(receipt);
  dispatch(now, out);
}

void PushQueue::on_extend(Time, ConsumerId consumer, Receipt receipt, Time, ActionBuffer& out) {
  find(consumer, receipt, out);  // RabbitMQ has no per-delivery deadline to move; a stale tag is still refused
}

void PushQueue::on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) {
  credits_.withdraw(consumer);
  requeue_all_of(consumer);
  dispatch(now, out);
}

void PushQueue::on_timer(Time now, ActionBuffer& out) {
  while (next_deadline() <= now) {
    const ConsumerId consumer = unacked_.begin()->second.consumer;
    credits_.withdraw(consumer);
    requeue_all_of(consumer);
  }
  dispatch(now, out);
}

Time PushQueue::next_deadline() const {
  if (consumer_timeout_ == 0 || unacked_.empty()) return kNever;
  return unacked_.begin()->second.delivered_at + consumer_timeout_;
}

void PushQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  for (const Waiting& w : ready_) visit(w.message);
  for (const auto& [receipt, delivery] : unacked_) visit(delivery.entry.message);
}

bool PushQueue::drop_oldest(Message& dropped) {
  if (ready_.empty()) return false;
  dropped = ready_.front().message;
  ready_bytes_ -= dropped.size;
  ready_.pop_front();
  return true;
}

PushQueue::Unacked* PushQueue::find(ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = unacked_.find(receipt);
  if (it != unacked_.end() && it->second.consumer == consumer) return &it->second;
  reject_receipt(consumer, receipt, out);
  return nullptr;
}

void PushQueue::requeue_all_of(ConsumerId consumer) {
  // Walking back from the newest keeps the oldest at the very head.
  for (auto it = unacked_.rbegin(); it != unacked_.rend();) {
    if (it->second.consumer != consumer) {
      ++it;
      continue;
    }
    ready_.push_front(it->second.entry);
    ready_bytes_ += it->second.entry.message.size;
    it = std::make_reverse_iterator(unacked_.erase(std::next(it).base()));
  }
}

void PushQueue::dispatch(Time now, ActionBuffer& out) {
  while (!ready_.empty() && !credits_.empty()) {
    Waiting entry = ready_.front();
    ready_.pop_front();
    ready_bytes_ -= entry.message.size;
    ++entry.receive_count;
    const ConsumerId consumer = credits_.take();
    const Receipt receipt = next_receipt_++;
    unacked_.emplace(receipt, Unacked{entry, consumer, now});
    out.push_back({ActionKind::deliver, consumer, receipt, entry.receive_count, entry.message});
  }
}

}  // namespace qlab
