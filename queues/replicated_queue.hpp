#pragma once
// Design "replicated": visibility_timeout semantics served by a leader, with the queue's operations
// (publishes and deletes, in order) replicated to followers; a Kafka-style in-sync replica set (ISR) decides
// when a publish is confirmed, whether publishes are accepted, and who may lead after a crash.
//
// Model (one object stands for all N nodes; it never reads a clock):
// - The leader applies an operation at once; follower f applies it replication_latency later, and its
//   acknowledgement takes replication_latency back. acks: leader confirms a publish at once; acks: all
//   confirms one round trip later, or at once when the leader is the only in-sync replica (also when the ISR
//   shrinks to the leader while a confirmation is pending).
// - A follower is in sync while the oldest operation it has not applied is at most replica_lag_max old. A
//   crashed follower leaves the ISR at once. A restarted node is empty; the leader sends it a snapshot of its
//   current contents (arriving replication_latency later), after which it rejoins the ISR.
// - Deliveries are served by the leader at once (not only after replication, unlike Kafka's high watermark);
//   receipts, visibility and receive counts live only on the leader. A dead-letter is replicated as a delete.
// - When the leader crashes, replication in flight from it is dropped and no confirmation is pending any more
//   (the producer never hears back). The design is unavailable for failure_detection; then the live in-sync
//   follower with the lowest index leads with exactly what it had applied: each message the old leader held
//   that it lacks is lost (ActionKind::lose, node = old leader). Every message it has is visible again
//   (deliveries in flight are redelivered; a delete not yet replicated brings its message back), old
//   receipts are stale, open pulls carry over, receive counts start again.
// - With no live in-sync follower: unclean_election elects the live node with the most applied operations;
//   otherwise everything the old leader held is lost at that moment (the only copies are on nodes that may
//   never lead) and the design stays unavailable until a node of the last ISR is alive again: it leads,
//   empty. Either way, with no live node at all the first node to restart leads, empty.
// - held()/for_each_held(): the leader's messages. Between a leader crash and the election, every message
//   whose fate is open: what the old leader held plus what any electable node holds.
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "queue_design.hpp"
#include "replica_log.hpp"
#include "visibility_timeout_queue.hpp"

namespace qlab {

class ReplicatedQueue final : public QueueDesign {
 public:
  enum class Acks {
    leader,  // confirm once the leader has the publish
    all,     // confirm once every in-sync follower has it too
  };
  struct Options {
    VisibilityTimeoutQueue::Options delivery;  // the leader's queue semantics
    std::uint32_t replicas = 3;                // >= 1; node 0 leads first
    Acks acks = Acks::all;
    std::uint32_t min_insync = 1;              // publishes are refused while fewer replicas are in sync
    Time replica_lag_max = 10 * kSecond;       // >= 0
    Time failure_detection = kSecond;          // >= 0: from a leader crash to the election
    bool unclean_election = false;
    Time replication_latency = kMillisecond;  // >= 0, one way
  };

  explicit ReplicatedQueue(Options options);
  ~ReplicatedQueue() override;

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

  std::uint32_t node_count() const override { return static_cast<std::uint32_t>(nodes_.size()); }
  void on_node_crashed(Time now, std::uint32_t node, ActionBuffer& out) override;
  void on_node_restarted(Time now, std::uint32_t node, ActionBuffer& out) override;
  // The current leader; while none is elected, the last one.
  std::uint32_t leader() const override { return leader_; }
  bool available() const override;

  std::size_t backlog() const override;
  std::size_t held() const override;
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  // Cannot tell: a follower's log may bring back, after a failover, messages the leader no longer holds.
  MessageId oldest_referable() const override { return 0; }

  // Inspection for tests and metrics.
  bool has_leader() const { return phase_ == Phase::leading; }
  bool in_sync(std::uint32_t node) const;  // member of the current ISR (the leader included)
  std::uint32_t in_sync_count() const { return in_sync_count_; }
  std::size_t applied(std::uint32_t node) const;  // messages node `node` holds

 private:
  enum class Phase : std::uint8_t {
    leading,   // a leader serves
    electing,  // the leader crashed; the election is at election_at_
    waiting,   // no node could be elected; the next eligible node to restart leads
  };
  struct Op {
    enum class Kind : std::uint8_t { publish, remove, snapshot };
    Kind kind = Kind::publish;
    Time sent = 0;
    Time arrives = 0;
    ReplicaSeq seq = 0;
    Message message;                             // publish; remove: message.id
    std::shared_ptr<const ReplicaLog> snapshot;  // snapshot
  };
  struct Node {
    bool alive = true;
    // Leading: member of the ISR. Otherwise: member of the last ISR (frozen when the leader crashed).
    bool in_sync = true;
    bool empty = false;  // restarted and not yet given a snapshot: holds nothing it could lead with
    ReplicaLog log;
    ReplicaSeq applied_seq = 0;  // the last operation applied
    std::deque<Op> inbound;      // sent by the leader, not yet applied, in order
  };
  struct PendingConfirm {
    Time due = 0;
    Message message;
  };
  struct Delivery {
    Receipt inner = 0;  // the leader's own receipt
    MessageId id = 0;
  };

  Node& leader_node() { return nodes_[leader_]; }
  // Sends `op` (with its times filled in) to every live follower.
  void replicate(Time now, Op op);
  void replicate_remove(Time now, MessageId id);
  // The leader's `contents`, sent at `now`.
  Op snapshot_op(std::shared_ptr<const ReplicaLog> contents, Time now) const;
  void apply(std::uint32_t node, const Op& op, Time at);
  Time lag_deadline(const Node& node) const;
  void leave_in_sync(std::uint32_t node, ActionBuffer& out);
  // Handles every replication event due at `at` (arrivals, lag checks, confirms, the election).
  void process_due(Time at, Time now, ActionBuffer& out);
  Time next_replication_event() const;

  void fail_leader(Time now);
  void elect(Time at, Time now, ActionBuffer& out);
  void become_leader(std::uint32_t node, bool clean, Time at, Time now, ActionBuffer& out);
  void lose_all(ActionBuffer& out);
  bool electable(const Node& node) const;
  void recompute_undecided();

  // Rewrites the leader queue's actions from index `from` on: fresh external receipts for deliveries, the
  // caller's receipt on refusals, dead-letters removed from the replicated log.
  void adopt(Time now, ActionBuffer& out, std::size_t from, Receipt external);
  void forget(MessageId id);
  void refuse_receipt(ConsumerId consumer, Receipt receipt, ActionBuffer& out) const;
  const Delivery* find(Receipt receipt) const;

  Options options_;
  std::vector<Node> nodes_;
  Phase phase_ = Phase::leading;
  std::uint32_t leader_ = 0;
  std::uint32_t in_sync_count_ = 0;  // leading only
  Time election_at_ = kNever;        // electing only
  ReplicaSeq next_seq_ = 1;
  std::unique_ptr<VisibilityTimeoutQueue> delivery_;  // leading only
  std::deque<PendingConfirm> confirms_;
  std::vector<std::uint64_t> credit_;  // open pull credit per consumer, carried across leaders
  Receipt next_receipt_ = 1;           // external receipts are never reused, so old leaders' receipts stay stale
  std::unordered_map<Receipt, Delivery> deliveries_;  // every receipt of the leader's messages
  std::unordered_multimap<MessageId, Receipt> receipts_of_;
  ReplicaLog orphans_;                // electing: what the crashed leader held
  std::vector<Message> undecided_;    // electing: orphans_ plus what every electable node holds
};

}  // namespace qlab
