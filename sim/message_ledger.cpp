#include "message_ledger.hpp"

#include "core/check.hpp"

namespace qlab::sim {

MessageLedger::MessageLedger(Time warmup, bool trace) : warmup_(warmup), tracing_(trace) {}

MessageId MessageLedger::on_created(Time now) {
  const MessageId id = flags_.size();
  flags_.push_back(0);
  if (first_publish_ < 0) first_publish_ = now;
  if (tracing_) trace_.push_back(MessageTrace{id, now, {}, -1, ""});
  return id;
}

void MessageLedger::on_accepted(const Message& message) {
  flags_[message.id] |= kAccepted;
  ++published_;
}

void MessageLedger::on_delivered(const Message& message, ConsumerId consumer, Time now) {
  std::uint8_t& flags = flags_[message.id];
  ++deliveries_;
  if (flags & kDelivered) {
    ++redeliveries_;
  } else {
    flags |= kDelivered;
    if (message.published_at >= warmup_) wait_.record(now - message.published_at);
  }
  if (tracing_) trace_[message.id].deliveries.emplace_back(consumer, now);
}

bool MessageLedger::on_processed(const Message& message, Time now) {
  std::uint8_t& flags = flags_[message.id];
  ++processed_;
  last_completion_ = now;
  if (flags & kProcessed) return false;
  QLAB_CHECK(!(flags & kLost), "a lost message was processed");
  if (flags & kDeadLettered) {
    flags &= static_cast<std::uint8_t>(~kDeadLettered);
    --dead_lettered_;
  }
  flags |= kProcessed;
  ++unique_processed_;
  if (message.published_at >= warmup_) {
    latency_.record(now - message.published_at);
    ++processed_in_window_;
  }
  if (tracing_) trace_[message.id].completed = now;
  return true;
}

void MessageLedger::on_dead_lettered(const Message& message) {
  std::uint8_t& flags = flags_[message.id];
  QLAB_CHECK(!(flags & kDeadLettered), "a message was dead-lettered twice");
  if (flags & kProcessed) return;
  flags |= kDeadLettered;
  ++dead_lettered_;
}

void MessageLedger::on_copy_dropped(const Message& message, bool design_keeps_it, LossCause cause) {
  std::uint8_t& flags = flags_[message.id];
  if (design_keeps_it || (flags & (kProcessed | kDeadLettered | kLost))) return;
  flags |= kLost;
  ++lost_;
  switch (cause) {
    case LossCause::consumer_crash:
      ++lost_consumer_crash_;
      break;
  }
}

std::uint64_t MessageLedger::audit() const {
  std::uint64_t accepted = 0;
  std::uint64_t processed = 0;
  std::uint64_t dead = 0;
  std::uint64_t lost = 0;
  std::uint64_t remaining = 0;
  for (std::uint8_t flags : flags_) {
    if (!(flags & kAccepted)) continue;
    ++accepted;
    const int fates = ((flags & kProcessed) != 0) + ((flags & kDeadLettered) != 0) + ((flags & kLost) != 0);
    QLAB_CHECK(fates <= 1, "a message has more than one fate");
    processed += (flags & kProcessed) != 0;
    dead += (flags & kDeadLettered) != 0;
    lost += (flags & kLost) != 0;
    remaining += fates == 0;
  }
  QLAB_CHECK(accepted == published_ && processed == unique_processed_ && dead == dead_lettered_ && lost == lost_,
             "message counters disagree with the per-message fates");
  QLAB_CHECK(published_ == unique_processed_ + dead_lettered_ + lost_ + remaining, "conservation violated");
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
  add("latency_mean", latency_.mean() / kSecond);
  add("latency_p50", to_seconds(latency_.percentile(0.50)));
  add("latency_p90", to_seconds(latency_.percentile(0.90)));
  add("latency_p99", to_seconds(latency_.percentile(0.99)));
  add("latency_p999", to_seconds(latency_.percentile(0.999)));
  add("latency_max", to_seconds(latency_.max()));
  add("wait_mean", wait_.mean() / kSecond);
  add("wait_p99", to_seconds(wait_.percentile(0.99)));
}

std::vector<MessageTrace> MessageLedger::take_trace() {
  for (MessageTrace& m : trace_) {
    const std::uint8_t flags = flags_[m.id];
    if (!(flags & kAccepted)) m.fate = "unpublished";
    else if (flags & kProcessed) m.fate = "processed";
    else if (flags & kDeadLettered) m.fate = "dead_lettered";
    else if (flags & kLost) m.fate = "lost:consumer_crash";
    else m.fate = "remaining";
  }
  return std::move(trace_);
}

}  // namespace qlab::sim
