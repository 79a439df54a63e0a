#pragma once
// One step of the live benchmark: an open-loop producer at a constant offered rate and a consumer that acks
// every message as soon as it arrives, both through BrokerClient (so every back end runs the same code),
// driven by one thread. Message i is due at start + i/rate; it is sent when due unless `window` messages are
// published and not yet acked, in which case it waits (and that wait counts in its latency: latency is
// measured from the intended send time, so a falling-behind producer shows, not hides, the overload).
#include <cstdint>
#include <string>

#include "core/histogram.hpp"
#include "core/time.hpp"
#include "live/backends/backend_registry.hpp"

namespace qlab::bench {

struct LoadShape {
  double rate = 1000;                    // offered messages per second
  Time warmup = kSecond;                 // sent but not measured
  Time measure = 5 * kSecond;            // the measured interval that follows
  Time grace = 2 * kSecond;              // after the last due message: how long to wait for the stragglers
  std::uint32_t window = 1000;           // published and not yet acked, at most
  std::size_t size = 100;                // payload bytes
  Time latency_bound = 100 * kMillisecond;  // a sustained step keeps its p99 latency under this
  // Message ids start here (0 is no id). Steps against one server must not repeat ids: JetStream drops a
  // publish whose id (Nats-Msg-Id) it saw within its 2-minute duplicate window, so it is never delivered.
  std::uint64_t first_id = 1;
};

struct StepResult {
  double offered = 0;
  double achieved = 0;                   // acked msg/s over the measured interval
  Histogram latency;                     // intended send time -> delivery, of the messages due in the interval
  std::uint64_t measured = 0;            // messages due in the measured interval
  std::uint64_t undelivered = 0;         // of which not delivered by the end (latency recorded as a lower bound)
  std::uint64_t redeliveries = 0;        // deliveries with receive_count > 1
  std::uint64_t publish_calls = 0;       // publish() calls (each hands the client every message due then)
  std::uint64_t published = 0;
  // Achieved >= 95% of offered, every measured message delivered, and p99 latency within the bound.
  bool sustained = false;
};

// Connects a producer and a consumer to `endpoints` and runs one step. Throws live::BackendError.
StepResult run_open_loop(const live::Backend& backend, const live::ClientConfig& base, const LoadShape& shape);

}  // namespace qlab::bench
