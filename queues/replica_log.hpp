#pragma once
// What one broker node of the replicated design holds: the messages it has applied and not yet seen deleted,
// in publish order. Delivery state (receipts, visibility) is not part of it; only publishes and deletes are.
// Message ids are expected to be unique, but a republished id is kept as a second copy (a delete removes the
// oldest copy), so the log stays in step with the leader's delivery state either way.
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "queue_design.hpp"

namespace qlab {

// Position of an operation in the leader's stream; later operations have larger numbers, across leaders too.
using ReplicaSeq = std::uint64_t;

class ReplicaLog {
 public:
  void append(ReplicaSeq seq, const Message& message);
  // Removes the oldest copy of `id`; false when the log does not hold it.
  bool remove(MessageId id);
  bool contains(MessageId id) const { return seq_of_.count(id) != 0; }
  std::size_t size() const { return by_seq_.size(); }
  void clear();
  // Visits every message in publish order.
  void for_each(const std::function<void(ReplicaSeq, const Message&)>& visit) const;

 private:
  std::map<ReplicaSeq, Message> by_seq_;
  std::unordered_multimap<MessageId, ReplicaSeq> seq_of_;
};

// The messages of `from` that `to` lacks, in `from`'s order (copies counted: two copies in `from` and one
// in `to` leave one).
std::vector<Message> missing_from(const ReplicaLog& from, const ReplicaLog& to);

// Every message held by at least one of `logs`, once (as many copies as the log holding the most), in the
// order first seen.
std::vector<Message> union_of(const std::vector<const ReplicaLog*>& logs);

}  // namespace qlab
