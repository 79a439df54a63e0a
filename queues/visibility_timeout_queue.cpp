#include "visibility_timeout_queue.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "design_helpers.hpp"

namespace qlab {
namespace {

Receipt make_receipt(std::uint32_t generation, std::uint32_t slot) {
  return (static_cast<Receipt>(generation) << 32) | (static_cast<Receipt>(slot) + 1);  // never 0
}

}  // namespace

Time VisibilityTimeoutQueue::Options::redelivery_delay_after(std::uint32_t receives) const {
  if (!redelivery_exponential || redelivery_delay == 0) return redelivery_delay;
  Time delay = redelivery_delay;
  const Time cap = redelivery_delay_max == 0 ? kNever / 2 : redelivery_delay_max;
  for (std::uint32_t i = 1; i < receives && delay < cap; ++i) delay = delay > cap / 2 ? cap : delay * 2;
  return std::min(delay, cap);
}

VisibilityTimeoutQueue::VisibilityTimeoutQueue(Options options) : options_(options) {
  QLAB_CHECK(options_.visibility_timeout > 0, "visibility_timeout must be positive");
}

void VisibilityTimeoutQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

void VisibilityTimeoutQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  const Slot slot = allocate();
  Entry& entry = entries_[slot];
  entry.hold(message);
  entry.receive_count = 0;
  // Between inputs, messages are visible only while no consumer has credit (each input receives all it
  // can). So a publish that finds credit has nothing visible ahead of it and is received at once (it cannot
  // be past max_receives), and a pull that finds no credit open is the only one to serve.
  if (!credits_.empty()) {
    receive(now, slot, credits_.take(), out);
    return;
  }
  make_visible(slot);
}

void VisibilityTimeoutQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  if (credits_.empty() && count > 0) {
    check_consumer_id(consumer);  // as the grant it skips would
    for (Slot slot = kNil; count > 0 && (slot = next_receivable(out)) != kNil; --count) {
      receive(now, slot, consumer, out);
    }
  }
  credits_.grant(consumer, count);
}

void VisibilityTimeoutQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) {
  credits_.withdraw(consumer);
}

void VisibilityTimeoutQueue::on_ack(Time, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Lookup found = find(receipt);
  if (!found.current) {
    refuse(consumer, receipt, found, out);
    return;
  }
  Entry& entry = entries_[found.slot];
  if (entry.state == State::in_flight) {
    unlink(found.slot);
    --in_flight_;
    free_slot(found.slot);
  } else {
    // Expired or released but not yet received again: the receipt is still the latest, so the delete
    // succeeds. The slot stays queued in visible_ (removing it from the middle would cost O(n)).
    entry.state = State::deleted;
    ++entry.generation;
    leave_backlog(entry);
  }
}

void VisibilityTimeoutQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Lookup found = find(receipt);
  if (!found.current || entries_[found.slot].state != State::in_flight) {
    refuse(consumer, receipt, found, out);
    return;
  }
  unlink(found.slot);
  Entry& entry = entries_[found.slot];
  if (const Time delay = options_.redelivery_delay_after(entry.receive_count); delay > 0) {
    entry.deadline = deadline_after(now, delay);  // still in flight (hidden) under the same receipt
    link_by_deadline(found.slot);
    return;
  }
  --in_flight_;
  make_visible(found.slot);
  dispatch(now, out);
}

void VisibilityTimeoutQueue::on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout,
                                       ActionBuffer& out) {
  const Lookup found = find(receipt);
  if (!found.current || entries_[found.slot].state != State::in_flight) {
    refuse(consumer, receipt, found, out);
    return;
  }
  unlink(found.slot);
  entries_[found.slot].deadline = deadline_after(now, timeout);
  link_by_deadline(found.slot);
}

void VisibilityTimeoutQueue::on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) {
  credits_.withdraw(consumer);
  if (!options_.release_on_disconnect) return;  // SQS: what it holds waits for the timeout
  // Rare event, so a walk over everything in flight is acceptable.
  for (Slot slot = flight_head_; slot != kNil;) {
    const Slot next = links_[slot].next;
    if (entries_[slot].consumer == consumer) {
      unlink(slot);
      --in_flight_;
      make_visible(slot);
    }
    slot = next;
  }
  dispatch(now, out);
}

void VisibilityTimeoutQueue::on_timer(Time now, ActionBuffer& out) {
  while (flight_head_ != kNil && entries_[flight_head_].deadline <= now) {
    const Slot slot = flight_head_;
    unlink(slot);
    --in_flight_;
    make_visible(slot);
  }
  dispatch(now, out);
}

Time VisibilityTimeoutQueue::next_deadline() const {
  return flight_head_ == kNil ? kNever : entries_[flight_head_].deadline;
}

void VisibilityTimeoutQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  for (const Entry& entry : entries_) {
    if (entry.state == State::visible || entry.state == State::in_flight) visit(entry.message());
  }
}

VisibilityTimeoutQueue::Lookup VisibilityTimeoutQueue::find(Receipt receipt) const {
  const auto low = static_cast<std::uint32_t>(receipt);
  if (low == 0 || low > entries_.size()) return {};
  const Slot slot = low - 1;
  const Entry& entry = entries_[slot];
  if (entry.state == State::free) return {};
  // Modular distances keep this right when generations wrap around.
  const auto generation = static_cast<std::uint32_t>(receipt >> 32);
  const std::uint32_t age = generation - entry.base_generation;
  const std::uint32_t latest = entry.generation - entry.base_generation;
  if (age == 0 || age > latest) return {};  // a receipt of an earlier occupant of the slot
  return {slot, age == latest && entry.state != State::deleted};
}

void VisibilityTimeoutQueue::refuse(ConsumerId consumer, Receipt receipt, const Lookup& found,
                                    ActionBuffer& out) const {
  Action action;
  action.kind = options_.stale_ack == StaleAck::reject ? ActionKind::ack_rejected : ActionKind::ack_ignored;
  action.consumer = consumer;
  action.receipt = receipt;
  if (found.slot != kNil) {
    action.message = entries_[found.slot].message();
    action.receive_count = entries_[found.slot].receive_count;
  }
  out.push_back(action);
}

VisibilityTimeoutQueue::Slot VisibilityTimeoutQueue::allocate() {
  Slot slot = free_head_;
  if (slot != kNil) {
    free_head_ = links_[slot].next;
  } else {
    slot = add_slot();
  }
  Entry& entry = entries_[slot];
  // No receipt carries the new base: every receipt of the previous occupant is at or below it.
  entry.base_generation = ++entry.generation;
  links_[slot] = Link{};
  return slot;
}

VisibilityTimeoutQueue::Slot VisibilityTimeoutQueue::add_slot() {
  QLAB_CHECK(entries_.size() < kNil - 1, "more messages held than receipts can name");
  entries_.emplace_back();
  links_.emplace_back();
  return static_cast<Slot>(entries_.size() - 1);
}

void VisibilityTimeoutQueue::free_slot(Slot slot) {
  Entry& entry = entries_[slot];
  entry.state = State::free;
  links_[slot].next = free_head_;
  free_head_ = slot;
}

void VisibilityTimeoutQueue::make_visible(Slot slot) {
  entries_[slot].state = State::visible;
  visible_.push_back(slot);
  ++backlog_;
  backlog_bytes_ += entries_[slot].size;
}

bool VisibilityTimeoutQueue::drop_oldest(Message& dropped) {
  while (!visible_.empty()) {
    const Slot slot = visible_.pop_front();
    Entry& entry = entries_[slot];
    if (entry.state == State::visible) {
      dropped = entry.message();
      leave_backlog(entry);
      ++entry.generation;  // its receipts (from earlier receives) are void
      free_slot(slot);
      return true;
    }
    free_slot(slot);  // deleted while waiting
  }
  return false;
}

void VisibilityTimeoutQueue::link_by_deadline(Slot slot) {
  const Time deadline = entries_[slot].deadline;
  Link& link = links_[slot];
  Slot after = flight_tail_;
  // Strictly later deadlines only, so equal deadlines keep receive order.
  while (after != kNil && entries_[after].deadline > deadline) after = links_[after].prev;
  link.prev = after;
  link.next = after == kNil ? flight_head_ : links_[after].next;
  (link.prev == kNil ? flight_head_ : links_[link.prev].next) = slot;
  (link.next == kNil ? flight_tail_ : links_[link.next].prev) = slot;
}

void VisibilityTimeoutQueue::unlink(Slot slot) {
  Link& link = links_[slot];
  (link.prev == kNil ? flight_head_ : links_[link.prev].next) = link.next;
  (link.next == kNil ? flight_tail_ : links_[link.next].prev) = link.prev;
  link = Link{};
}

VisibilityTimeoutQueue::Slot VisibilityTimeoutQueue::next_receivable(ActionBuffer& out) {
  while (!visible_.empty()) {
    const Slot slot = visible_.pop_front();
    Entry& entry = entries_[slot];
    if (entry.state == State::deleted) {
      free_slot(slot);
      continue;
    }
    leave_backlog(entry);
    if (options_.max_receives != 0 && entry.receive_count >= options_.max_receives) {
      out.push_back({ActionKind::dead_letter, 0, 0, entry.receive_count, entry.message()});
      free_slot(slot);
      continue;
    }
    return slot;
  }
  return kNil;
}

void VisibilityTimeoutQueue::receive(Time now, Slot slot, ConsumerId consumer, ActionBuffer& out) {
  Entry& entry = entries_[slot];
  ++entry.generation;
  ++entry.receive_count;
  entry.consumer = consumer;
  entry.state = State::in_flight;
  entry.deadline = deadline_after(now, options_.visibility_timeout);
  link_by_deadline(slot);
  ++in_flight_;
  Action& delivery = out.emplace_back();  // built in place: no copy of the action or its message
  delivery.consumer = consumer;
  delivery.receipt = make_receipt(entry.generation, slot);
  delivery.receive_count = entry.receive_count;
  delivery.message = entry.message();
}

void VisibilityTimeoutQueue::dispatch(Time now, ActionBuffer& out) {
  while (!credits_.empty()) {
    const Slot slot = next_receivable(out);
    if (slot == kNil) return;
    receive(now, slot, credits_.take(), out);
  }
}

}  // namespace qlab
