#pragma once
// `--set PATH=VALUE` overrides, applied to the YAML tree before validation (suites sweep the same paths).
// PATH is `key(.key|[index])*`, e.g. `consumers[0].service.mean`; VALUE is parsed as YAML, so
// `--set consumers[0].service={dist: exponential, mean: 2s}` sets a map and `--set queue.design=pull` a string.
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace qlab::workloads {

struct Override {
  std::string path;     // canonical form, as format_path() writes it (group names resolved by resolve_group_names)
  std::string value;    // YAML text
  std::string written{};  // the path as given, when a group name stood in for an index (`consumers[fast].count`)
};

// One step of a path: a map key or a sequence index.
using PathStep = std::variant<std::string, std::size_t>;

// Throws ScenarioError naming `path` when it is malformed.
std::vector<PathStep> parse_path(const std::string& path);
std::string format_path(const std::vector<PathStep>& steps);
// True when `path` is `prefix` itself or lies inside it (`consumers[0].count` is inside `consumers[0]`).
bool path_is_within(const std::string& path, const std::string& prefix);

// "a.b[1].c=VALUE", or with a group's name in place of its index: "consumers[fast].count=8" (kept as written
// until resolve_group_names). Throws ScenarioError on a malformed one.
Override parse_override(const std::string& text);
// The overrides with every `[NAME]` replaced by the index of the list entry whose `name` is NAME (or whose
// default name is NAME: producers, producers2, ...), looked up in `root` as the file gives it. Throws
// ScenarioError naming the override when no entry has that name.
std::vector<Override> resolve_group_names(const YAML::Node& root, const std::vector<Override>& overrides);
// How an override is shown as the place of an error: `--set PATH=VALUE`.
std::string override_place(const Override& o);

// Applies `overrides` in order and returns the root (a null root becomes a map). A missing map key is
// created (with missing maps on the way); an index out of range or a step into a scalar throws ScenarioError.
YAML::Node apply_overrides(YAML::Node root, const std::vector<Override>& overrides);

// Whether `path` names an existing node of a YAML tree, or of a resolved scenario (scenario_to_json()).
// A path that exists in the resolved scenario is a known key with a value (every default filled in).
bool path_exists(const YAML::Node& root, const std::string& path);
bool path_exists(const nlohmann::ordered_json& resolved, const std::string& path);

}  // namespace qlab::workloads
