#pragma once
// The resolved scenario as JSON: every default filled in, durations, rates and sizes as unit strings,
// distributions as {dist: ...} (a constant as a bare value). Loading its text gives the same scenario back.
#include <nlohmann/json.hpp>

#include "core/distribution.hpp"
#include "core/scenario.hpp"
#include "workloads/quantity.hpp"

namespace qlab::workloads {

nlohmann::ordered_json scenario_to_json(const qlab::Scenario& scenario);

// One distribution in scenario form; parameters are in nanoseconds (duration) or bytes (size).
nlohmann::ordered_json distribution_to_json(const qlab::Distribution& distribution, Quantity quantity);

}  // namespace qlab::workloads
