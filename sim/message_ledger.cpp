#include "message_ledger.hpp"

#include "core/check.hpp"

namespace qlab::sim {

const char* loss_cause_name(LossCause cause) {
  switch (cause) {
    case LossCause::consumer_crash: return "consumer_crash";
    case LossCause::broker_crash: return "broker_crash";
    case LossCause::network: return "network";
  }
  return "?";
}

MessageLedger::MessageLedger(Time warmup, bool trace, bool forgetting)
    : warmup_(warmup), tracing_(trace), fates_(forgetting ? kFinal | kNotPublished : kFinal) {}

void MessageLedger::trace_created(MessageId id, Time now) {
  trace_.push_back(MessageTrace{id, now, {}, -1, "", {}});
  note(id, now, "published");
}

void MessageLedger::note_traced(MessageId id, Time now, std::string_view what, std::string_view detail) {
  if (tracing(id)) trace_[id].history.emplace_back(now, std::string(what).append(detail));
}

void MessageLedger::on_refused(const Message& message, Time now, bool will_retry) {
  const std::uint8_t flags = fates_.get(message.id);
  QLAB_CHECK((flags & kAccepted) && !(flags & kDelivered), "a refused publish was already delivered");
  fates_.set(message.id, (flags & static_cast<std::uint8_t>(~kAccepted)) | (will_retry ? 0 : kNotPublished));
  --published_;
  if (!groups_.empty()) --groups_[message.origin].published;
  ++(will_retry ? retried_ : refused_);
  note(message.id, now, will_retry ? "refused, will retry" : "refused");
}

void MessageLedger::on_publish_lost(const Message& message, Time now, bool producer_crashed) {
  fates_.set(message.id, fates_.get(message.id) | kNotPublished);
  ++(producer_crashed ? lost_unconfirmed_publish_ : lost_network_publish_);
  note(message.id, now, producer_crashed ? "lost:unconfirmed_publish" : "lost:network(publish)");
}

bool MessageLedger::on_processed(const Message& message, Time now) {
  std::uint8_t flags = fates_.get(message.id);
  ++processed_;
  last_completion_ = now;
  if (!orphan_copies_.empty()) {
    if (auto it = orphan_copies_.find(message.id); it != orphan_copies_.end() && --it->second == 0) {
      orphan_copies_.erase(it);
    }
  }
  if (flags & kProcessed) return false;
  QLAB_CHECK(!(flags & kLost), "a lost message was processed");
  if (flags & kDeadLettered) {
    flags &= static_cast<std::uint8_t>(~kDeadLettered);
    --dead_lettered_;
  }
  if (flags & kDropped) {  // a copy still out when the queue discarded it (visibility expired meanwhile)
    flags &= static_cast<std::uint8_t>(~kDropped);
    --dropped_;
  }
  flags |= kProcessed;
  fates_.set(message.id, flags);
  ++unique_processed_;
  if (message.published_at >= warmup_) {
    latency_.record(now - message.published_at);
    ++processed_in_window_;
    if (!groups_.empty()) {
      groups_[message.origin].latency.record(now - message.published_at);
      ++groups_[message.origin].processed_in_window;
    }
  }
  if (tracing(message.id)) trace_[message.id].completed = now;
  return true;
}

void MessageLedger::on_dead_lettered(const Message& message, Time now, DiscardCause cause) {
  const std::uint8_t flags = fates_.get(message.id);
  note(message.id, now, "dead_lettered");
  // Already dead-lettered: a failover brought the message back because its removal had not reached the new
  // leader (replicated), and the new leader dead-lettered it again. It is counted once.
  if (flags & (kProcessed | kDeadLettered)) return;
  fates_.set(message.id, flags | kDeadLettered);
  ++dead_lettered_;
  ++dead_lettered_by_cause_[static_cast<int>(cause)];
  time_to_dead_letter_.record(now - message.published_at);
}

void MessageLedger::on_dropped(const Message& message, Time now, DiscardCause cause) {
  const std::uint8_t flags = fates_.get(message.id);
  note(message.id, now, "dropped");
  if (flags & kFinal) return;  // as on_dead_lettered: a failover may bring a discarded message back
  fates_.set(message.id, flags | kDropped);
  ++dropped_;
  ++dropped_by_cause_[static_cast<int>(cause)];
}

void MessageLedger::lose(const Message& message, LossCause cause, Time now) {
  const std::uint8_t flags = fates_.get(message.id);
  fates_.set(message.id, flags | kLost);
  ++lost_;
  ++lost_by_cause_[static_cast<int>(cause)];
  if (flags & kConfirmed) ++lost_confirmed_;
  note(message.id, now, "lost:", loss_cause_name(cause));
}

void MessageLedger::on_copy_dropped(const Message& message, bool design_keeps_it, LossCause cause, Time now) {
  const std::uint8_t flags = fates_.get(message.id);
  note(message.id, now, "copy dropped:", loss_cause_name(cause));
  if (auto it = orphan_copies_.find(message.id); it != orphan_copies_.end()) {
    if (--it->second > 0) return;  // another copy is still out there
    orphan_copies_.erase(it);
  } else if (design_keeps_it) {
    return;
  }
  if (flags & kFinal) return;
  lose(message, cause, now);
}

void MessageLedger::on_released(const Message& message, std::uint32_t copies, LossCause cause, Time now,
                                const std::string& where) {
  note(message.id, now, "released by the queue: ", where);
  if (fates_.get(message.id) & kFinal) return;
  if (copies > 0) {
    orphan_copies_[message.id] = copies;
  } else {
    lose(message, cause, now);
  }
}

std::uint64_t MessageLedger::audit() const {
  std::uint64_t accepted = 0;
  std::uint64_t processed = 0;
  std::uint64_t dead = 0;
  std::uint64_t lost = 0;
  std::uint64_t dropped = 0;
  std::uint64_t remaining = 0;
  fates_.for_each_run([&](std::uint8_t flags, std::uint64_t count) {
    if (!(flags & kAccepted)) return;
    accepted += count;
    const int fates = ((flags & kProcessed) != 0) + ((flags & kDeadLettered) != 0) + ((flags & kLost) != 0) +
                      ((flags & kDropped) != 0);
    QLAB_CHECK(fates <= 1, "a message has more than one fate");
    processed += (flags & kProcessed) != 0 ? count : 0;
    dead += (flags & kDeadLettered) != 0 ? count : 0;
    lost += (flags & kLost) != 0 ? count : 0;
    dropped += (flags & kDropped) != 0 ? count : 0;
    remaining += fates == 0 ? count : 0;
  });
  QLAB_CHECK(accepted == published_ && processed == unique_processed_ && dead == dead_lettered_ && lost == lost_ &&
                 dropped == dropped_,
             "message counters disagree with the per-message fates");
  QLAB_CHECK(lost_ == lost_by_cause_[0] + lost_by_cause_[1] + lost_by_cause_[2], "losses disagree with their causes");
  QLAB_CHECK(published_ == unique_processed_ + dead_lettered_ + lost_ + dropped_ + remaining, "conservation violated");
  return remaining;
}


void MessageLedger::append_metrics(std::vector<Metric>& out, std::uint64_t remaining) const {
  const auto add = [&out](const char* key, double value) { out.push_back({key, value}); };
  add("published", static_cast<double>(published_));
  add("deliveries", static_cast<double>(deliveries_));
  add("redeliveries", static_cast<double>(redeliveries_));
  add("processed", static_cast<double>(processed_));
  add("unique_processed", static_cast<double>(unique_processed_));
  add("duplicates", static_cast<double>(processed_ - unique_processed_));
  add("dead_lettered", static_cast<double>(dead_lettered_));
  add("lost", static_cast<double>(lost_));
  add("remaining", static_cast<double>(remaining));
  add("latency_mean", sampled(latency_, latency_.mean() / kSecond));
  add("latency_p50", sampled(latency_, to_seconds(latency_.percentile(0.50))));
  add("latency_p90", sampled(latency_, to_seconds(latency_.percentile(0.90))));
  add("latency_p99", sampled(latency_, to_seconds(latency_.percentile(0.99))));
  add("latency_p999", sampled(latency_, to_seconds(latency_.percentile(0.999))));
  add("latency_max", sampled(latency_, to_seconds(latency_.max())));
  add("wait_mean", sampled(wait_, wait_.mean() / kSecond));
  add("wait_p99", sampled(wait_, to_seconds(wait_.percentile(0.99))));
}

void MessageLedger::append_loss_metrics(std::vector<Metric>& out) const {
  const auto add = [&out](const char* key, double value) { out.push_back({key, value}); };
  add("lost_consumer_crash", static_cast<double>(lost_by_cause_[0]));
  add("lost_broker_crash", static_cast<double>(lost_by_cause_[1]));
  add("lost_network", static_cast<double>(lost_by_cause_[2]));
  add("lost_confirmed", static_cast<double>(lost_confirmed_));
  add("refused_publishes", static_cast<double>(refused_));
  add("retried_publishes", static_cast<double>(retried_));
  add("lost_unconfirmed_publish", static_cast<double>(lost_unconfirmed_publish_));
  add("lost_network_publish", static_cast<double>(lost_network_publish_));
  add("publish_latency_mean", sampled(publish_latency_, publish_latency_.mean() / kSecond));
  add("publish_latency_p99", sampled(publish_latency_, to_seconds(publish_latency_.percentile(0.99))));
  add("stale_acks", static_cast<double>(stale_acks_));
}

void MessageLedger::append_failure_metrics(std::vector<Metric>& out) const {
  const auto add = [&out](const char* key, std::uint64_t value) { out.push_back({key, static_cast<double>(value)}); };
  const auto dead = [this](DiscardCause c) { return dead_lettered_by_cause_[static_cast<int>(c)]; };
  const auto drop = [this](DiscardCause c) { return dropped_by_cause_[static_cast<int>(c)]; };
  add("failed_processing", failed_processing_);
  add("dead_lettered_max_receives", dead(DiscardCause::max_receives));
  add("dead_lettered_expired", dead(DiscardCause::expired));
  add("dead_lettered_overflow", dead(DiscardCause::overflow));
  add("dropped", dropped_);
  add("dropped_expired", drop(DiscardCause::expired));
  add("dropped_overflow", drop(DiscardCause::overflow));
  add("dropped_failed", drop(DiscardCause::failed));
  add("expired", dead(DiscardCause::expired) + drop(DiscardCause::expired));
  out.push_back({"time_to_dead_letter_mean", time_to_dead_letter_.mean() / kSecond});
  out.push_back({"time_to_dead_letter_p99", to_seconds(time_to_dead_letter_.percentile(0.99))});
}

std::vector<MessageTrace> MessageLedger::take_trace() {
  for (MessageTrace& m : trace_) {
    const std::uint8_t flags = fates_.get(m.id);
    if (!(flags & kAccepted)) {
      m.fate = "never_accepted";
    } else if (flags & kProcessed) {
      m.fate = "processed";
    } else if (flags & kDeadLettered) {
      m.fate = "dead_lettered";
    } else if (flags & kDropped) {
      m.fate = "dropped";
    } else if (flags & kLost) {
      m.fate = "lost";
      for (const auto& [t, what] : m.history) {
        if (what.starts_with("lost:")) m.fate = what;
      }
    } else {
      m.fate = "remaining";
    }
  }
  return std::move(trace_);
}

}  // namespace qlab::sim
