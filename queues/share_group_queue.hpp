#pragma once
// Design "share_group" (Kafka share groups, KIP-932): messages go to `partitions` partitions as in
// "partitioned" (a hash of the key, or round robin), but any consumer may receive any partition's records.
// A delivery acquires the record under a lock for `lock_duration`; an ack (accept) completes it, a release
// or the lock's expiry makes it available again, and it is then delivered before later records of its
// partition. A record acquired `delivery_limit` times and not accepted is archived (dead_letter) instead of
// being delivered once more. Each partition has at most `max_record_locks` records in flight, counted from
// its oldest record not completed yet (the share-partition start offset): later records wait, however many
// consumers are idle. Consumers are served in turn, and partitions in turn for each delivery. A lost
// consumer's locks run until they expire. Receipts are never reused; an ack, release or extend of a receipt
// whose lock is gone is refused (ack_rejected); extend renews the lock for the given time.
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "credit_queue.hpp"
#include "queue_design.hpp"

namespace qlab {

class ShareGroupQueue final : public QueueDesign {
 public:
  struct Options {
    std::uint32_t partitions = 8;
    bool round_robin = false;  // partitioner: false = by key
    Time lock_duration = 30 * kSecond;
    std::uint32_t delivery_limit = 5;
    std::uint32_t max_record_locks = 200;
  };

  explicit ShareGroupQueue(Options options);

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

  std::size_t backlog() const override { return held_ - locks_.size(); }
  std::size_t held() const override { return held_; }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  // Every record still in a partition's log, processed or not: a rewind or a new owner may hand it out again.
  MessageId oldest_referable() const override;

 private:
  enum class State : std::uint8_t { available, acquired, done };
  struct Record {
    Message message;
    std::uint32_t delivery_count = 0;
    State state = State::available;
  };
  struct Partition {
    std::deque<Record> log;           // log[0] has offset `start` (the share-partition start offset)
    std::uint64_t start = 0;
    std::uint64_t fresh = 0;          // offset of the first record never delivered
    std::set<std::uint64_t> returned; // offsets delivered before and available again
  };
  struct Lock {
    std::uint32_t partition = 0;
    std::uint64_t offset = 0;
    ConsumerId consumer = 0;
    Time deadline = 0;
  };

  std::map<Receipt, Lock>::iterator find(ConsumerId consumer, Receipt receipt, ActionBuffer& out);
  // Ends lock `it`: the record is done (accepted) or available again.
  void unlock(std::map<Receipt, Lock>::iterator it, bool accepted);
  // The record at `offset` is accepted or archived; the start offset moves past the completed prefix.
  void complete(Partition& partition, std::uint64_t offset);
  // The next offset `partition` may hand out (returned records first), or UINT64_MAX when none may go out.
  std::uint64_t next_offset(const Partition& partition) const;
  void dispatch(Time now, ActionBuffer& out);

  Options options_;
  std::vector<Partition> partitions_;
  std::map<Receipt, Lock> locks_;
  std::set<std::pair<Time, Receipt>> deadlines_;
  CreditQueue credits_;
  std::uint32_t next_partition_ = 0;  // round-robin partitioner
  std::uint32_t next_scan_ = 0;       // partitions take turns
  std::size_t held_ = 0;              // records not done
  Receipt next_receipt_ = 1;
};

}  // namespace qlab
