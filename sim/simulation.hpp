#pragma once
// One repetition of a scenario under the discrete-event simulator.
#include <atomic>
#include <cstdint>

#include "core/scenario.hpp"
#include "metrics/run_result.hpp"

namespace qlab::sim {

struct SimulationOptions {
  bool trace = false;                                  // keep every message's life (messages.csv)
  std::atomic<std::uint64_t>* events_done = nullptr;   // progress counters, updated now and then
  std::atomic<std::uint64_t>* messages_done = nullptr;  // messages created (with events_done only)
};

// Runs repetition `repetition` of `scenario` (its seed derived from the scenario seed and `repetition`).
// The result depends on nothing else: not on threads, wall time or other repetitions.
RunResult simulate(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options = {});

}  // namespace qlab::sim
