#include "share_group_queue.hpp"

#include <algorithm>

#include "core/check.hpp"
#include "design_helpers.hpp"
#include "partitioned_queue.hpp"

namespace qlab {
namespace {
constexpr std::uint64_t kNone = UINT64_MAX;
}  // namespace

ShareGroupQueue::ShareGroupQueue(Options options) : options_(options), partitions_(options.partitions) {
  QLAB_CHECK(options_.partitions >= 1 && options_.delivery_limit >= 1 && options_.max_record_locks >= 1,
             "share_group: counts must be at least 1");
  QLAB_CHECK(options_.lock_duration > 0, "share_group: lock_duration must be positive");
}

void ShareGroupQueue::on_consumer_joined(Time, ConsumerId, ActionBuffer&) {}

void ShareGroupQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  std::uint32_t index = 0;
  if (options_.round_robin) {
    index = next_partition_;
    next_partition_ = (next_partition_ + 1) % options_.partitions;
  } else {
    index = PartitionedQueue::partition_of(message.key, options_.partitions);
  }
  partitions_[index].log.push_back({message, 0, State::available});
  ++held_;
  dispatch(now, out);
}

void ShareGroupQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  credits_.grant(consumer, count);
  dispatch(now, out);
}

void ShareGroupQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void ShareGroupQueue::on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == locks_.end()) return;
  unlock(it, true);
  dispatch(now, out);
}

void ShareGroupQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == locks_.end()) return;
  unlock(it, false);
  dispatch(now, out);
}

void ShareGroupQueue::on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) {
  const auto it = find(consumer, receipt, out);
  if (it == locks_.end()) return;
  deadlines_.erase({it->second.deadline, receipt});
  it->second.deadline = deadline_after(now, timeout);
  deadlines_.insert({it->second.deadline, receipt});
}

void ShareGroupQueue::on_consumer_lost(Time, ConsumerId consumer, ActionBuffer&) { credits_.withdraw(consumer); }

void ShareGroupQueue::on_timer(Time now, ActionBuffer& out) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) unlock(locks_.find(deadlines_.begin()->second), false);
  dispatch(now, out);
}

Time ShareGroupQueue::next_deadline() const { return deadlines_.empty() ? kNever : deadlines_.begin()->first; }

MessageId ShareGroupQueue::oldest_referable() const { return oldest_in_logs(partitions_); }

void ShareGroupQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  for (const Partition& p : partitions_) {
    for (const Record& r : p.log) {
      if (r.state != State::done) visit(r.message);
    }
  }
}

std::map<Receipt, ShareGroupQueue::Lock>::iterator ShareGroupQueue::find(ConsumerId consumer, Receipt receipt,
                                                                         ActionBuffer& out) {
  const auto it = locks_.find(receipt);
  if (it != locks_.end() && it->second.consumer == consumer) return it;
  reject_receipt(consumer, receipt, out);
  return locks_.end();
}

void ShareGroupQueue::unlock(std::map<Receipt, Lock>::iterator it, bool accepted) {
  QLAB_CHECK(it != locks_.end(), "a lock deadline names no lock");
  Partition& p = partitions_[it->second.partition];
  const std::uint64_t offset = it->second.offset;
  deadlines_.erase({it->second.deadline, it->first});
  locks_.erase(it);
  if (!accepted) {
    p.log[offset - p.start].state = State::available;
    p.returned.insert(offset);
    return;
  }
  complete(p, offset);
}

void ShareGroupQueue::complete(Partition& p, std::uint64_t offset) {
  p.log[offset - p.start].state = State::done;
  --held_;
  while (!p.log.empty() && p.log.front().state == State::done) {
    p.log.pop_front();
    ++p.start;
  }
}

std::uint64_t ShareGroupQueue::next_offset(const Partition& p) const {
  const std::uint64_t limit = p.start + options_.max_record_locks;
  const std::uint64_t fresh = p.fresh < p.start + p.log.size() ? p.fresh : kNone;
  const std::uint64_t returned = p.returned.empty() ? kNone : *p.returned.begin();
  const std::uint64_t next = std::min(fresh, returned);
  return next < limit ? next : kNone;
}

void ShareGroupQueue::dispatch(Time now, ActionBuffer& out) {
  const auto n = static_cast<std::uint32_t>(partitions_.size());
  while (!credits_.empty()) {
    std::uint32_t k = 0;
    std::uint64_t offset = kNone;
    for (; k < n; ++k) {
      offset = next_offset(partitions_[(next_scan_ + k) % n]);
      if (offset != kNone) break;
    }
    if (offset == kNone) return;
    const std::uint32_t index = (next_scan_ + k) % n;
    next_scan_ = (index + 1) % n;
    Partition& p = partitions_[index];
    if (offset == p.fresh) {
      ++p.fresh;
    } else {
      p.returned.erase(offset);
    }
    Record& record = p.log[offset - p.start];
    if (record.delivery_count >= options_.delivery_limit) {
      // Archived: the share-partition gives up on it.
      out.push_back({ActionKind::dead_letter, 0, 0, record.delivery_count, record.message});
      complete(p, offset);
      continue;
    }
    ++record.delivery_count;
    record.state = State::acquired;
    const ConsumerId consumer = credits_.take();
    const Receipt receipt = next_receipt_++;
    const Time deadline = deadline_after(now, options_.lock_duration);
    locks_.emplace(receipt, Lock{index, offset, consumer, deadline});
    deadlines_.insert({deadline, receipt});
    out.push_back({ActionKind::deliver, consumer, receipt, record.delivery_count, record.message});
  }
}

}  // namespace qlab
