#include "limited_queue.hpp"

#include <utility>

#include "core/check.hpp"

namespace qlab {

LimitedQueue::LimitedQueue(std::unique_ptr<QueueDesign> inner, QueueLimits limits, bool keeps_until_ack)
    : inner_(std::move(inner)), limits_(limits), keeps_until_ack_(keeps_until_ack) {
  QLAB_CHECK(inner_ != nullptr, "a limited queue needs a design to wrap");
  QLAB_CHECK(limits_.ttl >= 0, "ttl must not be negative");
}

void LimitedQueue::on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) {
  inner_->on_consumer_joined(now, consumer, pending_);
  forward(now, out);
}

void LimitedQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  if (full(message.size)) {
    if (limits_.overflow == QueueLimits::Overflow::reject_publish) {
      Action refused;
      refused.kind = ActionKind::refuse;
      refused.message = message;
      out.push_back(refused);
      return;
    }
    Message oldest;
    while (full(message.size) && inner_->drop_oldest(oldest)) discard(oldest, DiscardCause::overflow, out);
    if (full(message.size)) {  // larger than max_bytes on its own: it cannot fit even in an empty queue
      discard(message, DiscardCause::overflow, out);
      return;
    }
  }
  inner_->on_publish(now, message, pending_);
  forward(now, out);
}

void LimitedQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  inner_->on_pull(now, consumer, count, pending_);
  forward(now, out);
}

void LimitedQueue::on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) {
  inner_->on_pull_cancelled(now, consumer, pending_);
  forward(now, out);
}

void LimitedQueue::on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  inner_->on_ack(now, consumer, receipt, pending_);
  forward(now, out);
}

void LimitedQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  inner_->on_release(now, consumer, receipt, pending_);
  forward(now, out);
}

void LimitedQueue::on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) {
  inner_->on_extend(now, consumer, receipt, timeout, pending_);
  forward(now, out);
}

void LimitedQueue::on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) {
  inner_->on_consumer_lost(now, consumer, pending_);
  forward(now, out);
}

void LimitedQueue::on_timer(Time now, ActionBuffer& out) {
  inner_->on_timer(now, pending_);
  forward(now, out);
}

void LimitedQueue::on_node_crashed(Time now, std::uint32_t node, ActionBuffer& out) {
  inner_->on_node_crashed(now, node, pending_);
  forward(now, out);
}

void LimitedQueue::on_node_restarted(Time now, std::uint32_t node, ActionBuffer& out) {
  inner_->on_node_restarted(now, node, pending_);
  forward(now, out);
}

bool LimitedQueue::full(std::uint64_t incoming) const {
  if (limits_.max_length != 0 && inner_->backlog() + 1 > limits_.max_length) return true;
  return limits_.max_bytes != 0 && inner_->backlog_bytes() + incoming > limits_.max_bytes;
}

void LimitedQueue::discard(const Message& message, DiscardCause cause, ActionBuffer& out) const {
  Action action;
  action.kind = limits_.dead_letter ? ActionKind::dead_letter : ActionKind::drop;
  action.message = message;
  action.cause = cause;
  out.push_back(action);
}

void LimitedQueue::forward(Time now, ActionBuffer& out) {
  // Indexes, not iterators: giving an expired delivery's credit back appends to pending_.
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const Action action = pending_[i];
    const bool expired = action.kind == ActionKind::deliver && limits_.ttl != 0 &&
                         now - action.message.published_at >= limits_.ttl;
    if (!expired) {
      out.push_back(action);
      continue;
    }
    discard(action.message, DiscardCause::expired, out);
    if (keeps_until_ack_) inner_->on_ack(now, action.consumer, action.receipt, pending_);
    inner_->on_pull(now, action.consumer, 1, pending_);
  }
  pending_.clear();
}

}  // namespace qlab
