#pragma once
// Shared by the workloads tests: load from text, and catch the message of a rejected scenario.
#include <string>
#include <vector>

#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::workloads::testing {

inline Scenario load(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  std::vector<Override> overrides;
  for (const std::string& set : sets) overrides.push_back(parse_override(set));
  return load_scenario_text(yaml, "s.yaml", overrides);
}

// The ScenarioError message, or "(accepted)" when the scenario loads.
inline std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    load(yaml, sets);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(accepted)";
}

// A valid scenario to extend: one poisson producer group, one consumer group, a duration.
inline const std::string kMinimal =
    "name: t\n"
    "duration: 100s\n"
    "producers:\n"
    "  - rate: 1/s\n"
    "consumers:\n"
    "  - service: 1s\n";

}  // namespace qlab::workloads::testing
