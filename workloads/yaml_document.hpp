#pragma once
// Parsing YAML text for the scenario and suite loaders: syntax errors, nesting deeper than kMaxNesting
// levels, alias expansions beyond kMaxYamlValues values and text that is not UTF-8 are ScenarioErrors
// placed at SOURCE:LINE:COLUMN,
// so no later walk of the tree can recurse without bound or expand an alias bomb.
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace qlab::workloads {

// Values in one document, counting each alias as often as it is used.
inline constexpr long kMaxYamlValues = 1'000'000;
// Scenario and suite files are read whole; a real one is a few KiB.
inline constexpr long kMaxYamlFileBytes = 16L << 20;

// The whole text of `file`; throws ScenarioError `FILE: cannot open (reason)`, `FILE: is a folder
// (expected WHAT)` (a folder opens as an empty stream on Linux), or when it is a device or over
// kMaxYamlFileBytes.
std::string read_text_file(const std::string& file, const std::string& what);

// True when `text` is well-formed UTF-8 (results are JSON, which must be).
bool is_utf8(std::string_view text);

// `expected` completes the messages: "(expected a YAML map)".
YAML::Node parse_yaml(const std::string& text, const std::string& source_name, const std::string& expected);

}  // namespace qlab::workloads
