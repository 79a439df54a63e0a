#pragma once
// Parsing YAML text for the scenario and suite loaders: syntax errors, nesting deeper than kMaxNesting
// levels and alias expansions beyond kMaxYamlValues values are ScenarioErrors placed at SOURCE:LINE:COLUMN,
// so no later walk of the tree can recurse without bound or expand an alias bomb.
#include <string>

#include <yaml-cpp/yaml.h>

namespace qlab::workloads {

// Values in one document, counting each alias as often as it is used.
inline constexpr long kMaxYamlValues = 1'000'000;

// The whole text of `file`; throws ScenarioError `FILE: cannot open (reason)`, or `FILE: is a folder
// (expected WHAT)` (a folder opens as an empty stream on Linux).
std::string read_text_file(const std::string& file, const std::string& what);

// `expected` completes the messages: "(expected a YAML map)".
YAML::Node parse_yaml(const std::string& text, const std::string& source_name, const std::string& expected);

}  // namespace qlab::workloads
