#pragma once
// Every message's fate, at one byte per message (no per-message record unless tracing): accepted,
// delivered at least once, processed, dead-lettered, lost. Fates form a partition checked at the end:
// published == unique_processed + dead_lettered + lost + remaining. A message that completes processing
// counts as processed even if it is later (or was earlier) dead-lettered: processing is what users wait for.
#include <cstdint>
#include <vector>

#include "core/histogram.hpp"
#include "metrics/run_result.hpp"
#include "queues/queue_design.hpp"

namespace qlab::sim {

enum class LossCause : std::uint8_t { consumer_crash };

class MessageLedger {
 public:
  MessageLedger(Time warmup, bool trace);

  // A producer creates a message; returns its id (dense, from 0).
  MessageId on_created(Time now);
  void on_accepted(const Message& message);
  void on_delivered(const Message& message, ConsumerId consumer, Time now);
  // Returns true on the message's first completed processing.
  bool on_processed(const Message& message, Time now);
  void on_dead_lettered(const Message& message);
  // A delivered copy vanished (its consumer crashed). Lost unless the design still holds the message
  // or it was already processed.
  void on_copy_dropped(const Message& message, bool design_keeps_it, LossCause cause);
  void on_stale_ack() { ++stale_acks_; }

  bool finished(MessageId id) const { return (flags_[id] & (kProcessed | kDeadLettered | kLost)) != 0; }
  bool accepted(MessageId id) const { return (flags_[id] & kAccepted) != 0; }
  std::uint64_t created() const { return flags_.size(); }
  std::uint64_t published() const { return published_; }
  std::uint64_t unfinished() const { return published_ - unique_processed_ - dead_lettered_ - lost_; }
  std::uint64_t unique_processed() const { return unique_processed_; }

  // Scans every message's flags, checks them against the running counters, and returns `remaining`.
  std::uint64_t audit() const;
  void append_metrics(std::vector<Metric>& out, std::uint64_t remaining) const;
  const Histogram& latency() const { return latency_; }
  const Histogram& wait() const { return wait_; }
  Time first_publish() const { return first_publish_; }
  Time last_completion() const { return last_completion_; }
  std::uint64_t lost_consumer_crash() const { return lost_consumer_crash_; }
  std::uint64_t stale_acks() const { return stale_acks_; }
  std::uint64_t processed_in_window() const { return processed_in_window_; }
  std::vector<MessageTrace> take_trace();

 private:
  static constexpr std::uint8_t kAccepted = 1;
  static constexpr std::uint8_t kDelivered = 2;
  static constexpr std::uint8_t kProcessed = 4;
  static constexpr std::uint8_t kDeadLettered = 8;
  static constexpr std::uint8_t kLost = 16;

  Time warmup_;
  bool tracing_;
  std::vector<std::uint8_t> flags_;
  std::vector<MessageTrace> trace_;
  Histogram latency_;
  Histogram wait_;
  std::uint64_t published_ = 0;
  std::uint64_t deliveries_ = 0;
  std::uint64_t redeliveries_ = 0;
  std::uint64_t processed_ = 0;
  std::uint64_t unique_processed_ = 0;
  std::uint64_t processed_in_window_ = 0;
  std::uint64_t dead_lettered_ = 0;
  std::uint64_t lost_ = 0;
  std::uint64_t lost_consumer_crash_ = 0;
  std::uint64_t stale_acks_ = 0;
  Time first_publish_ = -1;
  Time last_completion_ = -1;
};

}  // namespace qlab::sim
