#include "fifo_groups_queue.hpp"


#include "core/check.hpp"
#include "design_helpers.hpp"

namespace qlab {

FifoGroupsQueue::FifoGroupsQueue(std::uint64_t groups, Time visibility_timeout)
    : groups_(groups), visibility_timeout_(visibility_timeout) {
  QLAB_CHECK(visibility_timeout_ > 0, "visibility_timeout must be positive");
}

void FifoGroupsQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

void FifoGroupsQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  const std::uint64_t id = group_of(message.key, groups_);
  Group& group = by_group_[id];
  if (group.queue.empty() && !group.blocked) ready_.push_back(id);
  group.queue.push_back({message, 0});
  ++waiting_;
  dispatch(now, out);
}

void FifoGroupsQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  credits_.grant(consumer, count);
  dispatch(now, out);
}

void FifoGroupsQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void FifoGroupsQueue::on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == in_flight_.end()) return;
  finish(it, false);
  dispatch(now, out);
}

void FifoGroupsQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == in_flight_.end()) return;
  finish(it, true);
  dispatch(now, out);
}

void FifoGroupsQueue::on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == in_flight_.end()) return;
  deadlines_.erase({it->second.deadline, receipt});
  it->second.deadline = deadline_after(now, timeout);
  deadlines_.insert({it->second.deadline, receipt});
}

void FifoGroupsQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void FifoGroupsQueue::on_timer(Time now, ActionBuffer& out) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) finish(in_flight_.find(deadlines_.begin()->second), true);
  dispatch(now, out);
}

Time FifoGroupsQueue::next_deadline() const { return deadlines_.empty() ? kNever : deadlines_.begin()->first; }

void FifoGroupsQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  for (const auto& [id, group] : by_group_) {
    for (const Pending& p : group.queue) visit(p.message);
  }
  for (const auto& [receipt, flight] : in_flight_) visit(flight.pending.message);
}

std::map<Receipt, FifoGroupsQueue::InFlight>::iterator FifoGroupsQueue::find(ConsumerId consumer, Receipt receipt,
                                                                             ActionBuffer& out) {
  const auto it = in_flight_.find(receipt);
  if (it != in_flight_.end()) return it;
  reject_receipt(consumer, receipt, out);
  return in_flight_.end();
}

void FifoGroupsQueue::finish(std::map<Receipt, InFlight>::iterator it, bool redeliver) {
  QLAB_CHECK(it != in_flight_.end(), "a deadline names no delivery in flight");
  const std::uint64_t id = it->second.group;
  Group& group = by_group_.at(id);
  group.blocked = false;
  if (redeliver) {
    group.queue.push_front(it->second.pending);
    ++waiting_;
  }
  deadlines_.erase({it->second.deadline, it->first});
  in_flight_.erase(it);
  if (group.queue.empty()) {
    by_group_.erase(id);
  } else if (redeliver) {
    ready_.push_front(id);  // it was available before whatever became ready meanwhile
  } else {
    ready_.push_back(id);
  }
}

void FifoGroupsQueue::dispatch(Time now, ActionBuffer& out) {
  while (!ready_.empty() && !credits_.empty()) {
    const std::uint64_t id = ready_.front();
    ready_.pop_front();
    Group& group = by_group_.at(id);
    Pending pending = group.queue.front();
    group.queue.pop_front();
    group.blocked = true;
    --waiting_;
    ++pending.receive_count;
    const ConsumerId consumer = credits_.take();
    const Receipt receipt = next_receipt_++;
    const Time deadline = deadline_after(now, visibility_timeout_);
    in_flight_.emplace(receipt, InFlight{pending, id, deadline});
    deadlines_.insert({deadline, receipt});
    out.push_back({ActionKind::deliver, consumer, receipt, pending.receive_count, pending.message});
  }
}

}  // namespace qlab
