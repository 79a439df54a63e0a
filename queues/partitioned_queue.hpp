#pragma once
// Design "partitioned" (Kafka consumer groups). A message goes to one of `partitions` partitions, by a hash
// of its key or round robin. Each partition is owned by one member of the group, which receives the
// partition's records in offset order (so it processes them in order, one at a time); members beyond the
// number of partitions own nothing and sit idle. An ack marks a record processed; the group commits the
// processed prefix of each partition at once (`commit: after_processing`) or every `commit_interval`
// (`commit: interval`, auto-commit; a lost member commits nothing more). held() counts the records not processed yet; a record processed but
// not committed is no longer held, yet a rewind past it makes it unprocessed (and held) again.
//
// Membership: a consumer that joins (or a member whose session expired) triggers a rebalance: partitions
// are assigned anew (`assignment: range | round_robin | sticky`) over the members ordered by id. A partition
// that changes owner restarts from its committed offset, so its records processed but not committed are
// delivered again (duplicates), and earlier receipts are refused. `rebalance: eager` pauses every partition
// for `rebalance_time`; `cooperative` pauses only the partitions that move. (A group with no owner before,
// such as the first member's, is assigned at once.) A lost consumer keeps its partitions, undelivered, until
// `session_timeout` passes; if it comes back first (a restart), it keeps them and resumes from the committed
// offsets. A release (nack) rewinds the partition to its first unprocessed record (Kafka: seek).
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "queue_design.hpp"

namespace qlab {

class PartitionedQueue final : public QueueDesign {
 public:
  enum class Partitioner { key, round_robin };
  enum class Assignment { range, round_robin, sticky };
  enum class Rebalance { eager, cooperative };
  enum class Commit { after_processing, interval };
  struct Options {
    std::uint32_t partitions = 8;
    Partitioner partitioner = Partitioner::key;
    Assignment assignment = Assignment::range;
    Time session_timeout = 45 * kSecond;
    Rebalance rebalance = Rebalance::eager;
    Time rebalance_time = 3 * kSecond;
    Commit commit = Commit::interval;
    Time commit_interval = 5 * kSecond;
  };

  explicit PartitionedQueue(Options options);

  // The partition of a message with key `key` under the key partitioner.
  static std::uint32_t partition_of(std::uint64_t key, std::uint32_t partitions);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_timer(Time now, ActionBuffer& out) override;
  Time next_deadline() const override;

  std::size_t backlog() const override { return backlog_; }
  std::size_t held() const override { return held_; }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  // Every record still in a partition's log, processed or not: a rewind or a new owner may hand it out again.
  MessageId oldest_referable() const override;

  // The owner of `partition`, or kNoOwner.
  static constexpr ConsumerId kNoOwner = UINT32_MAX;
  ConsumerId owner(std::uint32_t partition) const { return partitions_[partition].owner; }
  std::uint64_t rebalances() const { return rebalances_; }

 private:
  struct Record {
    Message message;
    std::uint32_t receive_count = 0;
    bool processed = false;
  };
  struct Partition {
    std::deque<Record> log;       // log[0] has offset `committed`
    std::uint64_t committed = 0;  // offset of the first record not committed
    std::size_t position = 0;     // index in log of the next record to deliver
    ConsumerId owner = kNoOwner;
    Time paused_until = 0;        // rebalancing: nothing is delivered before
  };
  struct Delivery {
    std::uint32_t partition = 0;
    std::uint64_t offset = 0;
    ConsumerId consumer = 0;
  };
  struct Member {
    bool alive = false;
    Time expires_at = kNever;  // lost: the session ends then
  };

  // The current delivery `receipt` of `consumer`, or nullptr after emitting ack_rejected.
  const Delivery* find(ConsumerId consumer, Receipt receipt, ActionBuffer& out);
  // Delivery resumes at log index `index`; everything from there is unprocessed and undelivered again.
  void rewind(Partition& partition, std::size_t index);
  void rebalance(Time now);
  std::vector<ConsumerId> assign(const std::vector<ConsumerId>& members) const;
  void commit(Partition& partition);
  void commit_all();
  void dispatch(Time now, ActionBuffer& out);

  Options options_;
  std::vector<Partition> partitions_;
  std::map<ConsumerId, Member> members_;
  std::set<std::pair<Time, ConsumerId>> sessions_;  // lost members by expiry
  std::set<Time> resumes_;                          // ends of rebalance pauses still ahead
  std::map<Receipt, Delivery> deliveries_;          // not acked and not rewound past
  std::vector<std::uint64_t> credit_;  // by ConsumerId
  Time commit_due_ = kNever;
  std::uint32_t next_partition_ = 0;  // round-robin partitioner
  std::uint32_t next_scan_ = 0;       // dispatch fairness over partitions
  std::size_t backlog_ = 0;
  std::size_t held_ = 0;
  std::uint64_t rebalances_ = 0;
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
