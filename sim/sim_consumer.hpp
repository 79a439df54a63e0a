#pragma once
// A simulated consumer: what it holds, what it is doing, and the time it spent in each phase.
#include <cstdint>
#include <string>

#include "core/random_stream.hpp"
#include "delivery_buffer.hpp"
#include "queues/queue_design.hpp"

namespace qlab::sim {

struct Delivery {
  Message message;
  Receipt receipt = 0;
  std::uint32_t incarnation = 0;  // of the broker that delivered it: its receipt means nothing to another
};

enum class ConsumerPhase : std::uint8_t { down, idle, busy, stalled };

// Fields are grouped by use, on whole cache lines (the record is line-aligned): with 100,000 consumers
// every delivery and completion misses the cache for each line of its consumer it touches. A completion
// touches lines 1 and 2 only, a delivery lines 1 to 3 (without faults, failures and latency); then come
// the network streams, then what only faults, autoscaling, failures and the end of the run read.
struct alignas(64) SimConsumer {
  // Line 1: state, phase clocks, what waits.
  ConsumerPhase phase = ConsumerPhase::idle;
  bool has_current = false;
  std::uint32_t work_token = 0;   // bumps when a scheduled service completion becomes void (stall)
  std::uint32_t group = 0;
  std::uint32_t epoch = 0;        // bumps on crash and restart: in-flight events for an old life are void
  // Phase accounting: the phase started at `phase_since`; W(phase_since) for idle-with-backlog.
  Time phase_since = 0;
  Time waiting_clock_at_phase_start = 0;
  Time alive = 0;
  Time busy = 0;
  DeliveryBuffer<Delivery> buffer;  // received, not started
  // Line 2: the message in service.
  Delivery current;
  std::uint64_t processed = 0;
  // Line 3: what starting a service reads and writes.
  Time idle_with_backlog = 0;
  Time slow_until = 0;            // services starting before this take `slow_factor` times longer
  Time done_at = 0;
  RandomStream service_rng;

  alignas(64) RandomStream to_broker_rng;  // network latency of its acks and pulls
  RandomStream from_broker_rng;  // network latency of its deliveries
  std::uint32_t prefetch = 1;
  double slow_factor = 1;
  RandomStream failure_rng;      // which processings fail (consumers[i].failure; a stream of its own)
  std::string name;   // group[index]
  std::uint32_t stall_token = 0;
  Time remaining_service = 0;     // while stalled in the middle of a message
  bool rejoin_on_resume = false;  // the broker restarted while it was frozen: it reconnects when it resumes
  bool retiring = false;          // autoscaled down: pulls no more, leaves once it holds nothing
  bool starting = false;          // autoscaled up: joins after the startup delay
  Time starting_since = 0;
};

}  // namespace qlab::sim
