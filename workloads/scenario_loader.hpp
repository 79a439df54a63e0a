#pragma once
// Reads a scenario (docs: workloads/README.md, the complete reference) into qlab::Scenario with every default
// filled in. Overrides are applied to the YAML tree first; then everything is validated. Any problem throws
// ScenarioError with `FILE:LINE:COLUMN: KEY.PATH: what is wrong (what was expected)`.
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/scenario.hpp"
#include "workloads/scenario_override.hpp"

namespace qlab::workloads {

// A missing or unreadable file: `FILE: cannot open (reason)`.
qlab::Scenario load_scenario_file(const std::string& file, const std::vector<Override>& overrides = {});
// `source_name` stands for the file name in messages.
qlab::Scenario load_scenario_text(const std::string& yaml, const std::string& source_name,
                                  const std::vector<Override>& overrides = {});
// For callers that hold a parsed tree: applies `overrides` to `root` in place (the caller's tree changes; a
// copy would lose the line numbers), then validates. To reuse a base file, keep its text instead.
qlab::Scenario load_scenario_node(YAML::Node root, const std::string& source_name,
                                  const std::vector<Override>& overrides = {});

// Throws ScenarioError when `scenario` cannot be simulated (a `rate: max` producer group: the rate finder is
// live-only). `source` names the file or suite point in the message.
void check_simulatable(const qlab::Scenario& scenario, const std::string& source);

}  // namespace qlab::workloads
