#pragma once
// Every message's fate in flag bits (no per-message record unless tracing): accepted, delivered at least
// once, processed, dead-lettered, lost, dropped (discarded by the queue's policy), confirmed. Memory does not grow with the number of messages: a
// message's byte stays in a dense window only until it is processed, dead-lettered or lost (or 2^20 newer
// messages exist); older ones are kept as runs of equal flags (FateFlags), exactly. Fates form a partition checked at
// the end: published == unique_processed + dead_lettered + lost + dropped + remaining. A message that completes
// processing counts as processed even if it was also dead-lettered: processing is what users wait for.
//
// Custody: a message is lost when its last copy vanishes unprocessed. While the design holds a message
// (keeps_until_ack designs) a consumer's copy vanishing loses nothing. When the design lets go of a message
// other than by delivery (a broker crash), copies still at consumers are counted, and the message is lost
// only when the last of them vanishes unprocessed.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/histogram.hpp"
#include "fate_flags.hpp"
#include "metrics/run_result.hpp"
#include "queues/queue_design.hpp"

namespace qlab::sim {

enum class LossCause : std::uint8_t { consumer_crash, broker_crash, network };

class MessageLedger {
 public:
  // `forgetting`: the caller will let the ledger forget settled messages (forget_below). A lost or refused
  // publish then settles at once; without forgetting it stays in the window of flags, at a byte, which with
  // fates that alternate costs less than the run of its own it would cost once retired.
  MessageLedger(Time warmup, bool trace, bool forgetting);

  // A producer creates a message; returns its id (dense, from 0). This and on_accepted, on_confirmed and
  // on_delivered run for every message: inline.
  MessageId on_created(Time now) {
    const MessageId id = fates_.append();
    if (first_publish_ < 0) first_publish_ = now;
    if (tracing_) trace_created(id, now);
    return id;
  }
  void on_accepted(const Message& message, Time now) {
    fates_.set(message.id, fates_.get(message.id) | kAccepted);
    ++published_;
    if (!groups_.empty()) ++groups_[message.origin].published;
    note(message.id, now, "accepted");
  }
  // The design refused a publish it had been offered: the message was not accepted. `will_retry`: its producer
  // sends it again later (counted as a retry), else it is refused for good.
  void on_refused(const Message& message, Time now, bool will_retry);
  // A publish that never reached the queue: dropped on the network or lost with its producer.
  void on_publish_lost(const Message& message, Time now, bool producer_crashed);
  void on_confirmed(const Message& message, Time now) {
    const std::uint8_t flags = fates_.get(message.id);
    if (!(flags & kConfirmed)) confirm(message, flags, now);
  }
  // on_confirmed if the message is still accepted (a design may refuse a publish it was offered).
  void on_confirmed_if_accepted(const Message& message, Time now) {
    const std::uint8_t flags = fates_.get(message.id);
    if ((flags & (kAccepted | kConfirmed)) == kAccepted) confirm(message, flags, now);
  }
  void on_delivered(const Message& message, ConsumerId consumer, Time now) {
    const std::uint8_t flags = fates_.get(message.id);
    ++deliveries_;
    if (flags & kDelivered) {
      ++redeliveries_;
    } else {
      fates_.set(message.id, flags | kDelivered);
      if (message.published_at >= warmup_) wait_.record(now - message.published_at);
    }
    if (tracing(message.id)) trace_[message.id].deliveries.emplace_back(consumer, now);
  }
  // Returns true on the message's first completed processing.
  bool on_processed(const Message& message, Time now);
  void on_dead_lettered(const Message& message, Time now, DiscardCause cause);
  // The queue discarded `message` by its policy (expired, overflow), or its processing failed with nothing
  // keeping it (DiscardCause::failed).
  void on_dropped(const Message& message, Time now, DiscardCause cause);
  // A consumer's processing of a message failed (it then releases it, lets it time out, or crashes).
  void on_failed_processing(const Message& message, Time now) {
    ++failed_processing_;
    note(message.id, now, "failed");
  }
  // A delivered copy vanished unprocessed (its consumer crashed, the network dropped it). `design_keeps_it`:
  // the design still holds the message and will deliver it again.
  void on_copy_dropped(const Message& message, bool design_keeps_it, LossCause cause, Time now);
  // The design let go of `message` for good (broker crash); `copies` of it are still at or on their way to
  // consumers. Lost now when there are none.
  void on_released(const Message& message, std::uint32_t copies, LossCause cause, Time now, const std::string& where);
  void on_stale_ack() { ++stale_acks_; }
  // Adds `what` + `detail` to a traced message's history. Costs a branch when not tracing: callers pass
  // pieces, never a string built in advance.
  void note(MessageId id, Time now, std::string_view what, std::string_view detail = {}) {
    if (tracing_) note_traced(id, now, what, detail);
  }

  // Forgets the fates of messages below `mark`, which nothing may name again (the caller vouches for it:
  // no copy, event or design holds one), keeping their counts for the audit. Not while tracing: the trace
  // reads every traced message's fate at the end.
  void forget_below(MessageId mark) {
    if (!tracing_) fates_.forget_below(mark);
  }
  // How many runs of equal fates the ledger keeps for messages no longer in its window.
  std::size_t retired_runs() const { return fates_.run_count(); }
  // Whether note() records anything: a caller whose detail costs a load (a consumer's name, far from what
  // the hot path touches) asks first.
  bool tracing() const { return tracing_; }
  bool finished(MessageId id) const { return (fates_.get(id) & kFinal) != 0; }
  bool accepted(MessageId id) const { return (fates_.get(id) & kAccepted) != 0; }
  bool orphaned(MessageId id) const { return orphan_copies_.count(id) != 0; }
  std::uint64_t created() const { return fates_.size(); }
  std::uint64_t published() const { return published_; }
  std::uint64_t publish_side_losses() const { return refused_ + lost_unconfirmed_publish_ + lost_network_publish_; }
  std::uint64_t unfinished() const { return published_ - unique_processed_ - dead_lettered_ - lost_ - dropped_; }
  std::uint64_t unique_processed() const { return unique_processed_; }

  // Scans every message's flags, checks them against the running counters, and returns `remaining`.
  std::uint64_t audit() const;
  void append_metrics(std::vector<Metric>& out, std::uint64_t remaining) const;
  void append_loss_metrics(std::vector<Metric>& out) const;
  // failed_processing, dead letters and drops by cause, time_to_dead_letter.
  void append_failure_metrics(std::vector<Metric>& out) const;
  const Histogram& latency() const { return latency_; }
  const Histogram& wait() const { return wait_; }
  Time first_publish() const { return first_publish_; }
  Time last_completion() const { return last_completion_; }
  std::uint64_t processed_in_window() const { return processed_in_window_; }
  std::vector<MessageTrace> take_trace();

  // Per producer group (Message::origin): accepted publishes, and latency and count of the messages processed
  // from the warmup on. Kept only when there are several groups: with one, its figures are the totals.
  struct GroupTally {
    Histogram latency;
    std::uint64_t published = 0;
    std::uint64_t processed_in_window = 0;
  };
  void track_groups(std::size_t groups) {
    if (groups > 1) groups_.resize(groups);
  }
  GroupTally group(std::size_t g) const {
    return groups_.empty() ? GroupTally{latency_, published_, processed_in_window_} : groups_[g];
  }

 private:
  static constexpr std::uint8_t kAccepted = 1;
  static constexpr std::uint8_t kDelivered = 2;
  static constexpr std::uint8_t kProcessed = 4;
  static constexpr std::uint8_t kDeadLettered = 8;
  static constexpr std::uint8_t kLost = 16;
  static constexpr std::uint8_t kConfirmed = 32;
  static constexpr std::uint8_t kDropped = 64;
  static constexpr std::uint8_t kFinal = kProcessed | kDeadLettered | kLost | kDropped;
  // The publish was lost on its way or refused for good: the message never reached the queue and never will.
  // Not a fate of a published message, but as settled for the window of flags.
  static constexpr std::uint8_t kNotPublished = 128;

  void confirm(const Message& message, std::uint8_t flags, Time now) {
    fates_.set(message.id, flags | kConfirmed);
    if (message.published_at >= warmup_) publish_latency_.record(now - message.published_at);
    note(message.id, now, "confirmed");
  }

  void lose(const Message& message, LossCause cause, Time now);
  void note_traced(MessageId id, Time now, std::string_view what, std::string_view detail);
  void trace_created(MessageId id, Time now);
  bool tracing(MessageId id) const { return tracing_ && id < trace_.size(); }

  Time warmup_;
  bool tracing_;
  FateFlags fates_;
  std::unordered_map<MessageId, std::uint32_t> orphan_copies_;  // released by the design, copies still out
  std::vector<MessageTrace> trace_;
  std::vector<GroupTally> groups_;  // empty with a single producer group
  Histogram latency_;
  Histogram wait_;
  Histogram publish_latency_;
  std::uint64_t published_ = 0;
  std::uint64_t deliveries_ = 0;
  std::uint64_t redeliveries_ = 0;
  std::uint64_t processed_ = 0;
  std::uint64_t unique_processed_ = 0;
  std::uint64_t processed_in_window_ = 0;
  std::uint64_t dead_lettered_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t lost_by_cause_[3] = {0, 0, 0};
  std::uint64_t lost_confirmed_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t retried_ = 0;  // refused sends that their producer sent again
  std::uint64_t lost_unconfirmed_publish_ = 0;
  std::uint64_t lost_network_publish_ = 0;
  std::uint64_t stale_acks_ = 0;
  Time first_publish_ = -1;
  Time last_completion_ = -1;
  // Failures and discards (last: the per-message path above stays as compact as before they existed).
  std::uint64_t dead_lettered_by_cause_[kDiscardCauses] = {};
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_by_cause_[kDiscardCauses] = {};
  std::uint64_t failed_processing_ = 0;
  Histogram time_to_dead_letter_;
};

const char* loss_cause_name(LossCause cause);

}  // namespace qlab::sim
