#include "replicated_queue.hpp"

#include <algorithm>
#include <utility>

#include "consumer_slot.hpp"
#include "core/check.hpp"

namespace qlab {
namespace {

Time after(Time at, Time delay) { return delay > kNever - at ? kNever : at + delay; }

Action action_for(ActionKind kind, const Message& message, std::uint32_t node = 0) {
  Action action;
  action.kind = kind;
  action.message = message;
  action.node = node;
  return action;
}

}  // namespace

ReplicatedQueue::ReplicatedQueue(Options options) : options_(options), nodes_(options.replicas) {
  QLAB_CHECK(options_.replicas >= 1, "replicas must be at least 1");
  QLAB_CHECK(options_.replica_lag_max >= 0 && options_.failure_detection >= 0 && options_.replication_latency >= 0,
             "replication durations must not be negative");
  in_sync_count_ = options_.replicas;
  delivery_ = std::make_unique<VisibilityTimeoutQueue>(options_.delivery);
}

ReplicatedQueue::~ReplicatedQueue() = default;

// ---- consumers -------------------------------------------------------------------------------------------

void ReplicatedQueue::on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) {
  consumer_slot(credit_, consumer);
  if (delivery_) delivery_->on_consumer_joined(now, consumer, out);
}

void ReplicatedQueue::on_publish(Time now, const Message& message, ActionBuffer& out) {
  if (!available()) {
    out.push_back(action_for(ActionKind::refuse, message));
    return;
  }
  const ReplicaSeq seq = next_seq_++;
  Node& leader = leader_node();
  leader.log.append(seq, message);
  leader.applied_seq = seq;
  Op op;
  op.seq = seq;
  op.message = message;
  replicate(now, std::move(op));
  if (options_.acks == Acks::leader || in_sync_count_ == 1) {
    out.push_back(action_for(ActionKind::confirm, message));
  } else {
    confirms_.push_back({after(now, 2 * options_.replication_latency), message});
  }
  const std::size_t from = out.size();
  delivery_->on_publish(now, message, out);
  adopt(now, out, from, 0);
}

void ReplicatedQueue::on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) {
  consumer_slot(credit_, consumer) += count;
  if (!delivery_) return;  // stays open until a leader serves it
  const std::size_t from = out.size();
  delivery_->on_pull(now, consumer, count, out);
  adopt(now, out, from, 0);
}

void ReplicatedQueue::on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) {
  consumer_slot(credit_, consumer) = 0;
  if (delivery_) delivery_->on_pull_cancelled(now, consumer, out);
}

void ReplicatedQueue::on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Delivery* delivery = find(receipt);
  if (delivery == nullptr) {
    refuse_receipt(consumer, receipt, out);
    return;
  }
  const MessageId id = delivery->id;
  const std::size_t from = out.size();
  delivery_->on_ack(now, consumer, delivery->inner, out);
  if (out.size() != from) {  // refused: the receipt is known but no longer current
    adopt(now, out, from, receipt);
    return;
  }
  forget(id);
  const bool held = leader_node().log.remove(id);
  QLAB_CHECK(held, "the leader's log lacks a message its queue held");
  replicate_remove(now, id);
}

void ReplicatedQueue::on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  const Delivery* delivery = find(receipt);
  if (delivery == nullptr) {
    refuse_receipt(consumer, receipt, out);
    return;
  }
  const std::size_t from = out.size();
  delivery_->on_release(now, consumer, delivery->inner, out);
  adopt(now, out, from, receipt);
}

void ReplicatedQueue::on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) {
  const Delivery* delivery = find(receipt);
  if (delivery == nullptr) {
    refuse_receipt(consumer, receipt, out);
    return;
  }
  const std::size_t from = out.size();
  delivery_->on_extend(now, consumer, delivery->inner, timeout, out);
  adopt(now, out, from, receipt);
}

void ReplicatedQueue::on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) {
  consumer_slot(credit_, consumer) = 0;
  if (!delivery_) return;
  const std::size_t from = out.size();
  delivery_->on_consumer_lost(now, consumer, out);
  adopt(now, out, from, 0);
}

// ---- time ------------------------------------------------------------------------------------------------

void ReplicatedQueue::on_timer(Time now, ActionBuffer& out) {
  // Replication events in time order, each at its own time, so that a late call sees what happened between.
  for (Time at = next_replication_event(); at <= now; at = next_replication_event()) process_due(at, now, out);
  if (delivery_ && delivery_->next_deadline() <= now) {
    const std::size_t from = out.size();
    delivery_->on_timer(now, out);
    adopt(now, out, from, 0);
  }
}

Time ReplicatedQueue::next_deadline() const {
  const Time replication = next_replication_event();
  return delivery_ ? std::min(replication, delivery_->next_deadline()) : replication;
}

Time ReplicatedQueue::next_replication_event() const {
  Time next = phase_ == Phase::electing ? election_at_ : kNever;
  if (!confirms_.empty()) next = std::min(next, confirms_.front().due);
  for (const Node& node : nodes_) {
    if (node.inbound.empty()) continue;
    next = std::min(next, node.inbound.front().arrives);
    if (node.in_sync) next = std::min(next, lag_deadline(node));
  }
  return next;
}

Time ReplicatedQueue::lag_deadline(const Node& node) const {
  // Out of sync once the oldest unapplied operation is more than replica_lag_max old.
  return after(after(node.inbound.front().sent, options_.replica_lag_max), 1);
}

void ReplicatedQueue::process_due(Time at, Time now, ActionBuffer& out) {
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    Node& node = nodes_[n];
    while (!node.inbound.empty() && node.inbound.front().arrives <= at) {
      const Op op = std::move(node.inbound.front());
      node.inbound.pop_front();
      apply(n, op, at);
    }
  }
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    const Node& node = nodes_[n];
    if (node.in_sync && !node.inbound.empty() && lag_deadline(node) <= at) leave_in_sync(n, out);
  }
  while (!confirms_.empty() && confirms_.front().due <= at) {
    out.push_back(action_for(ActionKind::confirm, confirms_.front().message));
    confirms_.pop_front();
  }
  if (phase_ == Phase::electing && election_at_ <= at) elect(at, now, out);
}

// ---- replication -----------------------------------------------------------------------------------------

void ReplicatedQueue::replicate(Time now, Op op) {
  op.sent = now;
  op.arrives = after(now, options_.replication_latency);
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    if (n != leader_ && nodes_[n].alive) nodes_[n].inbound.push_back(op);
  }
}

void ReplicatedQueue::replicate_remove(Time now, MessageId id) {
  const ReplicaSeq seq = next_seq_++;
  leader_node().applied_seq = seq;
  Op op;
  op.kind = Op::Kind::remove;
  op.seq = seq;
  op.message.id = id;
  replicate(now, std::move(op));
}

ReplicatedQueue::Op ReplicatedQueue::snapshot_op(std::shared_ptr<const ReplicaLog> contents, Time now) const {
  Op op;
  op.kind = Op::Kind::snapshot;
  op.sent = now;
  op.arrives = after(now, options_.replication_latency);
  op.seq = nodes_[leader_].applied_seq;
  op.snapshot = std::move(contents);
  return op;
}

void ReplicatedQueue::apply(std::uint32_t n, const Op& op, Time at) {
  Node& node = nodes_[n];
  switch (op.kind) {
    case Op::Kind::publish:
      node.log.append(op.seq, op.message);
      break;
    case Op::Kind::remove:
      node.log.remove(op.message.id);
      break;
    case Op::Kind::snapshot:
      node.log = *op.snapshot;
      node.empty = false;
      break;
  }
  node.applied_seq = op.seq;
  // A live follower out of the ISR rejoins once it is caught up within replica_lag_max.
  if (!node.in_sync && !node.empty && (node.inbound.empty() || lag_deadline(node) > at)) {
    node.in_sync = true;
    ++in_sync_count_;
  }
}

void ReplicatedQueue::leave_in_sync(std::uint32_t n, ActionBuffer& out) {
  QLAB_CHECK(phase_ == Phase::leading && n != leader_ && nodes_[n].in_sync, "only an in-sync follower can leave");
  nodes_[n].in_sync = false;
  --in_sync_count_;
  if (in_sync_count_ > 1) return;
  // The leader alone is the ISR: nothing pending waits for anyone any more.
  for (const PendingConfirm& pending : confirms_) out.push_back(action_for(ActionKind::confirm, pending.message));
  confirms_.clear();
}

// ---- nodes -----------------------------------------------------------------------------------------------

void ReplicatedQueue::on_node_crashed(Time now, std::uint32_t n, ActionBuffer& out) {
  QLAB_CHECK(n < nodes_.size(), "no such broker node");
  Node& node = nodes_[n];
  if (!node.alive) return;
  if (phase_ == Phase::leading && n == leader_) {
    fail_leader(now);
  } else if (phase_ == Phase::leading && node.in_sync) {
    leave_in_sync(n, out);
  }
  node.alive = false;
  node.empty = true;
  node.log.clear();
  node.inbound.clear();
  node.applied_seq = 0;
  if (phase_ == Phase::electing) recompute_undecided();
}

void ReplicatedQueue::on_node_restarted(Time now, std::uint32_t n, ActionBuffer& out) {
  QLAB_CHECK(n < nodes_.size(), "no such broker node");
  Node& node = nodes_[n];
  if (node.alive) return;
  node.alive = true;
  node.empty = true;  // crashed nodes are already cleared
  switch (phase_) {
    case Phase::leading: {
      node.in_sync = false;
      node.inbound.push_back(snapshot_op(std::make_shared<const ReplicaLog>(leader_node().log), now));
      break;
    }
    case Phase::electing:
      break;  // empty: not electable before the election; a leader will send it a snapshot
    case Phase::waiting:
      if (node.in_sync || options_.unclean_election) become_leader(n, node.in_sync, now, now, out);
      break;
  }
}

bool ReplicatedQueue::available() const {
  return phase_ == Phase::leading && in_sync_count_ >= options_.min_insync;
}

void ReplicatedQueue::fail_leader(Time now) {
  Node& old = leader_node();
  orphans_ = std::move(old.log);
  old.log.clear();
  delivery_.reset();
  deliveries_.clear();
  receipts_of_.clear();
  confirms_.clear();  // never confirmed: the producer does not hear back
  for (Node& node : nodes_) node.inbound.clear();  // replication from the dead leader is dropped
  phase_ = Phase::electing;
  election_at_ = after(now, options_.failure_detection);
  // The ISR is frozen as the last ISR; the old leader stays in it (as Kafka keeps the last member).
}

bool ReplicatedQueue::electable(const Node& node) const {
  return node.alive && !node.empty && (node.in_sync || options_.unclean_election);
}

void ReplicatedQueue::elect(Time at, Time now, ActionBuffer& out) {
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].alive && nodes_[n].in_sync && !nodes_[n].empty) {
      become_leader(n, true, at, now, out);
      return;
    }
  }
  if (options_.unclean_election) {
    std::uint32_t best = UINT32_MAX;
    for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
      if (nodes_[n].alive && (best == UINT32_MAX || nodes_[n].applied_seq > nodes_[best].applied_seq)) best = n;
    }
    if (best != UINT32_MAX) {
      become_leader(best, false, at, now, out);
      return;
    }
  }
  // Nobody holding data may lead: everything is gone for good.
  lose_all(out);
  phase_ = Phase::waiting;
  election_at_ = kNever;
  for (std::uint32_t n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].alive && nodes_[n].in_sync) {  // a last-ISR member that restarted empty
      become_leader(n, true, at, now, out);
      return;
    }
  }
}

void ReplicatedQueue::lose_all(ActionBuffer& out) {
  orphans_.for_each([&](ReplicaSeq, const Message& m) { out.push_back(action_for(ActionKind::lose, m, leader_)); });
  orphans_.clear();
  undecided_.clear();
}

void ReplicatedQueue::become_leader(std::uint32_t n, bool clean, Time at, Time now, ActionBuffer& out) {
  const std::uint32_t old_leader = leader_;
  Node& leader = nodes_[n];
  for (const Message& m : missing_from(orphans_, leader.log)) out.push_back(action_for(ActionKind::lose, m, old_leader));
  orphans_.clear();
  undecided_.clear();

  phase_ = Phase::leading;
  leader_ = n;
  election_at_ = kNever;
  leader.empty = false;
  leader.in_sync = true;
  in_sync_count_ = 1;
  // After a clean election the live members of the last ISR stay in sync; after an unclean one nobody is.
  auto snapshot = std::make_shared<const ReplicaLog>(leader.log);
  for (std::uint32_t f = 0; f < nodes_.size(); ++f) {
    Node& node = nodes_[f];
    if (f == n) continue;
    node.in_sync = clean && node.alive && !node.empty && node.in_sync;
    if (node.in_sync) ++in_sync_count_;
    if (!node.alive) continue;
    // Every follower takes the new leader's contents (dropping what the new leader lacks).
    node.inbound.push_back(snapshot_op(snapshot, at));
  }

  delivery_ = std::make_unique<VisibilityTimeoutQueue>(options_.delivery);
  ActionBuffer none;
  leader.log.for_each([&](ReplicaSeq, const Message& m) { delivery_->on_publish(now, m, none); });
  QLAB_CHECK(none.empty(), "a fresh leader queue delivered before any pull");
  for (ConsumerId c = 0; c < credit_.size(); ++c) {
    for (std::uint64_t left = credit_[c]; left > 0;) {
      const auto chunk = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, UINT32_MAX));
      left -= chunk;
      const std::size_t from = out.size();
      delivery_->on_pull(now, c, chunk, out);
      adopt(now, out, from, 0);
    }
  }
}

void ReplicatedQueue::recompute_undecided() {
  std::vector<const ReplicaLog*> logs{&orphans_};
  for (const Node& node : nodes_) {
    if (electable(node)) logs.push_back(&node.log);
  }
  undecided_ = union_of(logs);
}

// ---- the leader's queue ----------------------------------------------------------------------------------

void ReplicatedQueue::adopt(Time now, ActionBuffer& out, std::size_t from, Receipt external) {
  for (std::size_t i = from; i < out.size(); ++i) {
    Action& action = out[i];
    switch (action.kind) {
      case ActionKind::deliver: {
        const Receipt receipt = next_receipt_++;
        // Earlier receipts stay known (stale) until the message leaves, so refusals name the message as
        // visibility_timeout's do.
        receipts_of_.emplace(action.message.id, receipt);
        deliveries_[receipt] = {action.receipt, action.message.id};
        action.receipt = receipt;
        std::uint64_t& credit = consumer_slot(credit_, action.consumer);
        QLAB_CHECK(credit > 0, "the leader queue delivered beyond the open credit");
        --credit;
        break;
      }
      case ActionKind::dead_letter: {
        forget(action.message.id);
        const bool held = leader_node().log.remove(action.message.id);
        QLAB_CHECK(held, "the leader's log lacks a message its queue dead-lettered");
        replicate_remove(now, action.message.id);
        break;
      }
      case ActionKind::ack_rejected:
      case ActionKind::ack_ignored:
        action.receipt = external;
        break;
      default:
        QLAB_CHECK(false, "the leader queue emitted an unexpected action");
    }
  }
}

void ReplicatedQueue::forget(MessageId id) {
  const auto [first, last] = receipts_of_.equal_range(id);
  for (auto it = first; it != last; ++it) deliveries_.erase(it->second);
  receipts_of_.erase(first, last);
}

const ReplicatedQueue::Delivery* ReplicatedQueue::find(Receipt receipt) const {
  if (!delivery_) return nullptr;
  const auto it = deliveries_.find(receipt);
  return it == deliveries_.end() ? nullptr : &it->second;
}

void ReplicatedQueue::refuse_receipt(ConsumerId consumer, Receipt receipt, ActionBuffer& out) const {
  Action action;
  action.kind = options_.delivery.stale_ack == VisibilityTimeoutQueue::StaleAck::reject ? ActionKind::ack_rejected
                                                                                         : ActionKind::ack_ignored;
  action.consumer = consumer;
  action.receipt = receipt;
  out.push_back(action);
}

// ---- custody ---------------------------------------------------------------------------------------------

std::size_t ReplicatedQueue::backlog() const {
  if (delivery_) return delivery_->backlog();
  return undecided_.size();  // nothing is in flight without a leader: all of it will be visible again
}

std::size_t ReplicatedQueue::held() const { return delivery_ ? delivery_->held() : undecided_.size(); }

void ReplicatedQueue::for_each_held(const std::function<void(const Message&)>& visit) const {
  if (delivery_) {
    delivery_->for_each_held(visit);
    return;
  }
  for (const Message& m : undecided_) visit(m);
}

bool ReplicatedQueue::in_sync(std::uint32_t node) const {
  QLAB_CHECK(node < nodes_.size(), "no such broker node");
  return phase_ == Phase::leading && nodes_[node].alive && nodes_[node].in_sync;
}

std::size_t ReplicatedQueue::applied(std::uint32_t node) const {
  QLAB_CHECK(node < nodes_.size(), "no such broker node");
  return nodes_[node].log.size();
}

}  // namespace qlab
