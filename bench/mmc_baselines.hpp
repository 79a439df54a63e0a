#pragma once
// The baselines the simulator's speed is judged by (qlab_sim_bench's FullVsMinimal, bench/README.md "Simulator
// speed and scale"): the same M/M/c system as a full simulated run, with less around it. Both draw arrival and
// service times from the streams the simulator derives for the same producer and consumers, so all three
// (these two and the simulator) publish the same messages and, with a FIFO design at zero latency, start
// each at the same time (tests/bench/mmc_baselines_test.cpp holds them to it).
//
// The scenario: one producer group of one Poisson producer (`rate`), one consumer group, a `duration`; no
// faults, latency or broker cost (they are ignored). The run publishes until the duration, then drains.
#include <cstdint>

#include "core/scenario.hpp"

namespace qlab::bench {

struct BaselineRun {
  std::uint64_t published = 0;
  Time wait_sum = 0;  // over every message: the time from its publish to the start of its service
};

// The minimal loop: a binary heap of events, the idle consumers and the waiting messages in FIFO order,
// no metric, no check.
BaselineRun run_minimal_mmc(const Scenario& scenario, std::uint32_t repetition);

// The design floor: the minimal loop with the scenario's real design deciding which consumer takes which
// message, called through QueueDesign as the simulator and the live broker call it (each consumer joins and
// pulls one at a time, acks and pulls again when done), with a timer event kept at its next_deadline(). Only
// deliveries are acted on. A simulator that runs the design does all of this work and more.
BaselineRun run_design_floor(const Scenario& scenario, std::uint32_t repetition);

}  // namespace qlab::bench
