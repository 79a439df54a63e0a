#include "partitioned_queue.hpp"

#include <algorithm>

#include "consumer_slot.hpp"
#include "core/check.hpp"
#include "design_helpers.hpp"
#include "core/random_stream.hpp"

namespace qlab {

PartitionedQueue::PartitionedQueue(Options options) : options_(options), partitions_(options.partitions) {
  QLAB_CHECK(options_.partitions >= 1, "partitions must be at least 1");
  QLAB_CHECK(options_.session_timeout >= 0 && options_.rebalance_time >= 0 && options_.commit_interval > 0,
             "partitioned: negative durations");
}

std::uint32_t PartitionedQueue::partition_of(std::uint64_t key, std::uint32_t partitions) {
  return static_cast<std::uint32_t>(mix64(key) % partitions);
}

void PartitionedQueue::on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) {
  consumer_slot(credit_, consumer);
  Member& member = members_[consumer];
  if (member.alive) return;
  if (member.expires_at != kNever) {
    // Back within its session (a restart): it keeps its partitions and resumes from the committed offsets.
    sessions_.erase({member.expires_at, consumer});
    member = {true, kNever};
    for (Partition& p : partitions_) {
      if (p.owner == consumer) rewind(p, 0);
    }
  } else {
    member = {true, kNever};
    rebalance(now);
  }
  dispatch(now, out);
}

void PartitionedQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  std::uint32_t index = 0;
  if (options_.partitioner == Partitioner::key) {
    index = partition_of(message.key, options_.partitions);
  } else {
    index = next_partition_;
    next_partition_ = (next_partition_ + 1) % options_.partitions;
  }
  partitions_[index].log.push_back({message, 0, false});
  ++backlog_;
  ++held_;
  dispatch(now, out);
}

void PartitionedQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  consumer_slot(credit_, consumer) += count;
  dispatch(now, out);
}

void PartitionedQueue::on_pull_cancelled(Time, ConsumerId consumer, ActionBuffer&) { consumer_slot(credit_, consumer) = 0; }

void PartitionedQueue::on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Delivery* delivery = find(consumer, receipt, out);
  if (delivery == nullptr) return;
  Partition& p = partitions_[delivery->partition];
  p.log[delivery->offset - p.committed].processed = true;
  --held_;
  deliveries_.erase(receipt);
  if (options_.commit == Commit::after_processing) {
    commit(p);
  } else if (commit_due_ == kNever) {
    commit_due_ = now + options_.commit_interval;
  }
}

void PartitionedQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Delivery* delivery = find(consumer, receipt, out);
  if (delivery == nullptr) return;
  Partition& p = partitions_[delivery->partition];
  std::size_t first_unprocessed = 0;
  while (first_unprocessed < p.position && p.log[first_unprocessed].processed) ++first_unprocessed;
  rewind(p, first_unprocessed);
  dispatch(now, out);
}

void PartitionedQueue::on_extend(Time, ConsumerId consumer, Receipt receipt, Time, ActionBuffer& out) {
  find(consumer, receipt, out);  // no delivery deadline to move; a stale receipt is still refused
}

void PartitionedQueue::on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer&) {
  consumer_slot(credit_, consumer) = 0;
  const auto it = members_.find(consumer);
  if (it == members_.end() || !it->second.alive) return;
  it->second = {false, now + options_.session_timeout};
  sessions_.insert({it->second.expires_at, consumer});
}

void PartitionedQueue::on_timer(Time now, ActionBuffer& out) {
  bool changed = false;
  while (!sessions_.empty() && sessions_.begin()->first <= now) {
    members_.erase(sessions_.begin()->second);
    sessions_.erase(sessions_.begin());
    changed = true;
  }
  if (changed) rebalance(now);
  while (!resumes_.empty() && *resumes_.begin() <= now) resumes_.erase(resumes_.begin());
  if (commit_due_ <= now) {
    commit_all();
    commit_due_ = kNever;
  }
  dispatch(now, out);
}

Time PartitionedQueue::next_deadline() const {
  Time next = commit_due_;
  if (!sessions_.empty()) next = std::min(next, sessions_.begin()->first);
  if (!resumes_.empty()) next = std::min(next, *resumes_.begin());
  return next;
}

MessageId PartitionedQueue::oldest_referable() const { return oldest_in_logs(partitions_); }

void PartitionedQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  for (const Partition& p : partitions_) {
    for (const Record& r : p.log) {
      if (!r.processed) visit(r.message);
    }
  }
}

const PartitionedQueue::Delivery* PartitionedQueue::find(ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const auto it = deliveries_.find(receipt);
  if (it != deliveries_.end() && it->second.consumer == consumer) {
    return &it->second;
  }
  reject_receipt(consumer, receipt, out);
  return nullptr;
}

void PartitionedQueue::rewind(Partition& p, std::size_t index) {
  QLAB_CHECK(index <= p.position, "a rewind moves forward");
  backlog_ += p.position - index;
  for (std::size_t i = index; i < p.position; ++i) {
    held_ += p.log[i].processed ? 1 : 0;
    p.log[i].processed = false;
  }
  p.position = index;
  // Receipts of the partition's earlier deliveries are refused from now on.
  const auto partition = static_cast<std::uint32_t>(&p - partitions_.data());
  std::erase_if(deliveries_, [&](const auto& entry) { return entry.second.partition == partition; });
}

void PartitionedQueue::rebalance(Time now) {
  ++rebalances_;
  std::vector<ConsumerId> members;
  for (const auto& [id, member] : members_) members.push_back(id);  // ordered by id
  const std::vector<ConsumerId> owners = assign(members);
  const bool had_owner = std::any_of(partitions_.begin(), partitions_.end(), [](const Partition& p) { return p.owner != kNoOwner; });
  const Time resume = now + options_.rebalance_time;
  bool paused = false;
  for (std::uint32_t i = 0; i < partitions_.size(); ++i) {
    Partition& p = partitions_[i];
    const bool moves = p.owner != owners[i];
    if (moves) {
      // The new owner starts from the committed offset: what was processed but not committed is redone.
      rewind(p, 0);
    }
    if (had_owner && options_.rebalance_time > 0 &&
        (options_.rebalance == Rebalance::eager || (moves && p.owner != kNoOwner))) {
      p.paused_until = std::max(p.paused_until, resume);
      paused = true;
    }
    p.owner = owners[i];
  }
  if (paused) resumes_.insert(resume);
}

std::vector<ConsumerId> PartitionedQueue::assign(const std::vector<ConsumerId>& members) const {
  const std::size_t n = partitions_.size();
  std::vector<ConsumerId> owners(n, kNoOwner);
  const std::size_t m = members.size();
  if (m == 0) return owners;
  switch (options_.assignment) {
    case Assignment::range: {
      // Contiguous ranges, the first n % m members one partition more (Kafka's RangeAssignor).
      std::size_t next = 0;
      for (std::size_t k = 0; k < m; ++k) {
        const std::size_t share = n / m + (k < n % m ? 1 : 0);
        for (std::size_t j = 0; j < share; ++j) owners[next++] = members[k];
      }
      break;
    }
    case Assignment::round_robin:
      for (std::size_t i = 0; i < n; ++i) owners[i] = members[i % m];
      break;
    case Assignment::sticky: {
      // Keep each partition with its owner while the owner stays within a balanced share (n / m, or one
      // more for the first n % m members to claim it); give the rest to the least loaded members.
      const std::size_t floor_share = n / m;
      std::size_t extras = n % m;
      std::map<ConsumerId, std::size_t> load;
      for (ConsumerId c : members) load[c] = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const auto it = load.find(partitions_[i].owner);
        if (it == load.end()) continue;
        const bool keep = it->second < floor_share || (it->second == floor_share && extras > 0);
        if (!keep) continue;
        if (it->second == floor_share) --extras;
        owners[i] = it->first;
        ++it->second;
      }
      for (std::size_t i = 0; i < n; ++i) {
        if (owners[i] != kNoOwner) continue;
        auto least = load.begin();
        for (auto it = load.begin(); it != load.end(); ++it) {
          if (it->second < least->second) least = it;
        }
        owners[i] = least->first;
        ++least->second;
      }
      break;
    }
  }
  return owners;
}

void PartitionedQueue::commit(Partition& p) {
  while (p.position > 0 && p.log.front().processed) {
    p.log.pop_front();
    --p.position;
    ++p.committed;
  }
}

void PartitionedQueue::commit_all() {
  // Each member commits its own partitions: a lost member commits nothing more.
  for (Partition& p : partitions_) {
    const auto it = members_.find(p.owner);
    if (it != members_.end() && it->second.alive) commit(p);
  }
}

void PartitionedQueue::dispatch(Time now, ActionBuffer& out) {
  const auto n = static_cast<std::uint32_t>(partitions_.size());
  bool progress = true;
  while (progress && backlog_ > 0) {
    progress = false;
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint32_t index = (next_scan_ + k) % n;
      Partition& p = partitions_[index];
      if (p.owner == kNoOwner || p.paused_until > now || p.position == p.log.size()) continue;
      std::uint64_t& credit = consumer_slot(credit_, p.owner);
      if (credit == 0) continue;
      --credit;
      --backlog_;
      Record& record = p.log[p.position];
      ++record.receive_count;
      const Receipt receipt = next_receipt_++;
      deliveries_[receipt] = {index, p.committed + p.position, p.owner};
      ++p.position;
      out.push_back({ActionKind::deliver, p.owner, receipt, record.receive_count, record.message});
      progress = true;
    }
    next_scan_ = (next_scan_ + 1) % n;
  }
}

}  // namespace qlab
