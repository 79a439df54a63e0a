#pragma once
// Time scaling for live runs: a scenario written in minutes can run live in seconds. Every duration of the
// scenario (service times, arrival gaps, duration, warmup, fault times, the design's duration parameters)
// is multiplied by `factor` and every rate divided by it; live measurements are divided by `factor` again,
// so results are reported in the scenario's own time and compare directly with a simulation.
#include "core/scenario.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {

// factor > 0; 1 returns the scenario unchanged.
Scenario scale_scenario(const Scenario& scenario, double factor);
// The design parameters of `scenario.queue` with duration-typed ones multiplied by `factor`.
DesignParams scale_design_params(const DesignInfo& design, const DesignParams& params, double factor);

}  // namespace qlab::live
