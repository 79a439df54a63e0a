#include "replica_log.hpp"


namespace qlab {

void ReplicaLog::append(ReplicaSeq seq, const Message& message) {
  by_seq_.emplace_hint(by_seq_.end(), seq, message);
  seq_of_.emplace(message.id, seq);
}

bool ReplicaLog::remove(MessageId id) {
  auto [first, last] = seq_of_.equal_range(id);
  if (first == last) return false;
  auto oldest = first;
  for (auto it = first; it != last; ++it) {
    if (it->second < oldest->second) oldest = it;
  }
  by_seq_.erase(oldest->second);
  seq_of_.erase(oldest);
  return true;
}

void ReplicaLog::clear() {
  by_seq_.clear();
  seq_of_.clear();
}

void ReplicaLog::for_each(const std::function<void(ReplicaSeq, const Message&)>& visit) const {
  for (const auto& [seq, message] : by_seq_) visit(seq, message);
}

std::vector<Message> missing_from(const ReplicaLog& from, const ReplicaLog& to) {
  std::unordered_map<MessageId, std::size_t> left;  // copies of each id in `to` not yet matched
  to.for_each([&](ReplicaSeq, const Message& m) { ++left[m.id]; });
  std::vector<Message> missing;
  from.for_each([&](ReplicaSeq, const Message& m) {
    auto it = left.find(m.id);
    if (it != left.end() && it->second > 0) {
      --it->second;
    } else {
      missing.push_back(m);
    }
  });
  return missing;
}

std::vector<Message> union_of(const std::vector<const ReplicaLog*>& logs) {
  std::unordered_map<MessageId, std::size_t> taken;  // copies of each id already in the union
  std::vector<Message> all;
  for (const ReplicaLog* log : logs) {
    std::unordered_map<MessageId, std::size_t> seen;  // copies of each id so far in this log
    log->for_each([&](ReplicaSeq, const Message& m) {
      const std::size_t copy = ++seen[m.id];
      std::size_t& have = taken[m.id];
      if (copy > have) {
        have = copy;
        all.push_back(m);
      }
    });
  }
  return all;
}

}  // namespace qlab
