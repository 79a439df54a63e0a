#include "workloads/scenario_override.hpp"

#include <cctype>
#include <algorithm>
#include <optional>
#include <regex>

#include "workloads/did_you_mean.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::workloads {
namespace {

// `[name]` in a path: a list entry picked by its name instead of its index.
const std::regex kNamedIndex(R"(\[([A-Za-z_][A-Za-z0-9_-]*)\])");

bool is_key_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

[[noreturn]] void bad_path(const std::string& path, const std::string& what) {
  throw ScenarioError("--set " + path + ": " + what +
                      " (expected a path such as queue.design or consumers[0].service.mean)");
}

// The node a step leads to, if it exists. (yaml-cpp's "invalid" nodes for missing keys cannot be rebound.)
std::optional<YAML::Node> step_into(const YAML::Node& node, const PathStep& step) {
  if (const auto* key = std::get_if<std::string>(&step)) {
    if (!node.IsMap()) return std::nullopt;
    const YAML::Node child = node[*key];  // const lookup: never inserts
    if (!child.IsDefined()) return std::nullopt;
    return child;
  }
  const std::size_t index = std::get<std::size_t>(step);
  if (!node.IsSequence() || index >= node.size()) return std::nullopt;
  return node[index];
}

class OverrideApplier {
 public:
  explicit OverrideApplier(const Override& o) : override_(o), steps_(parse_path(o.path)) {}

  void apply(YAML::Node root) {
    YAML::Node value;
    try {
      value = YAML::Load(override_.value);
    } catch (const YAML::Exception& e) {
      fail(format_path(steps_), "the value is not valid YAML: " + e.msg, "a YAML value such as 4, 2s or {dist: exponential, mean: 1s}");
    }
    YAML::Node node;
    node.reset(root);
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const bool last = i + 1 == steps_.size();
      const std::string here = format_path({steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(i)});
      const std::string next = format_path({steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(i + 1)});
      if (const auto* key = std::get_if<std::string>(&steps_[i])) {
        if (!node.IsMap() && !node.IsNull()) {
          fail(here, std::string(node.IsSequence() ? "is a list" : "is a scalar") + ", it has no key '" + *key + "'",
               node.IsSequence() ? "an index such as " + here + "[0]" : "a path that stops at " + here);
        }
        if (last) {
          node[*key] = value;
          return;
        }
        std::optional<YAML::Node> child = step_into(node, steps_[i]);
        if (!child || child->IsNull()) {
          node[*key] = YAML::Node(YAML::NodeType::Map);  // a missing map on the way is created
          child = step_into(node, steps_[i]);
        }
        node.reset(*child);
      } else {
        const std::size_t index = std::get<std::size_t>(steps_[i]);
        if (!node.IsSequence()) fail(here, "is not a list", "a key such as " + here + ".name");
        if (index >= node.size()) {
          fail(next, "index " + std::to_string(index) + " is out of range: " + here + " has " + std::to_string(node.size()) +
                         " entries", "an index below " + std::to_string(node.size()));
        }
        if (last) {
          node[index] = value;
          return;
        }
        YAML::Node child = node[index];
        node.reset(child);
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what, const std::string& expected) const {
    throw ScenarioError(override_place(override_) + ": " + path + ": " + what + " (expected " + expected + ")");
  }

  const Override& override_;
  std::vector<PathStep> steps_;
};

}  // namespace

std::vector<PathStep> parse_path(const std::string& path) {
  std::vector<PathStep> steps;
  std::size_t i = 0;
  if (path.empty()) bad_path(path, "empty path");
  while (i < path.size()) {
    const char c = path[i];
    if (c == '[') {
      if (steps.empty()) bad_path(path, "a path starts with a key");
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) bad_path(path, "'[' without ']'");
      const std::string digits = path.substr(i + 1, close - i - 1);
      if (digits.empty() || digits.size() > 9 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        bad_path(path, "'[" + digits + "]' is not an index");
      }
      steps.emplace_back(static_cast<std::size_t>(std::stoul(digits)));
      i = close + 1;
      continue;
    }
    if (c == '.') {
      if (steps.empty() || i + 1 == path.size()) bad_path(path, "misplaced '.'");
      ++i;
    } else if (!steps.empty()) {
      bad_path(path, std::string("unexpected '") + c + "'");
    }
    const std::size_t start = i;
    while (i < path.size() && is_key_char(path[i])) ++i;
    if (i == start) bad_path(path, std::string("unexpected '") + path[i] + "'");
    steps.emplace_back(path.substr(start, i - start));
  }
  return steps;
}

std::string format_path(const std::vector<PathStep>& steps) {
  std::string out;
  for (const PathStep& step : steps) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!out.empty()) out += '.';
      out += *key;
    } else {
      out += '[' + std::to_string(std::get<std::size_t>(step)) + ']';
    }
  }
  return out;
}

bool path_is_within(const std::string& path, const std::string& prefix) {
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

Override parse_override(const std::string& text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos) {
    throw ScenarioError("--set " + text + ": no '=' (expected PATH=VALUE, e.g. consumers[0].count=4)");
  }
  const std::string path = text.substr(0, eq);
  if (!std::regex_search(path, kNamedIndex)) return Override{format_path(parse_path(path)), text.substr(eq + 1), ""};
  parse_path(std::regex_replace(path, kNamedIndex, "[0]"));  // the form is checked; the names wait for the tree
  return Override{path, text.substr(eq + 1), path};
}

std::string override_place(const Override& o) { return "--set " + (o.written.empty() ? o.path : o.written) + "=" + o.value; }

std::vector<Override> resolve_group_names(const YAML::Node& root, const std::vector<Override>& overrides) {
  std::vector<Override> resolved = overrides;
  for (Override& o : resolved) {
    std::smatch match;
    while (std::regex_search(o.path, match, kNamedIndex)) {
      const std::string list_path = match.prefix().str();
      const std::string name = match[1].str();
      const std::size_t cut = list_path.find_last_of(".]");
      const std::string list_key = cut == std::string::npos ? list_path : list_path.substr(cut + 1);
      std::vector<std::string> names;
      YAML::Node list;
      if (path_exists(root, list_path)) {
        list.reset(root);
        for (const PathStep& step : parse_path(list_path)) list.reset(*step_into(list, step));
      }
      for (std::size_t i = 0; list.IsSequence() && i < list.size(); ++i) {
        const YAML::Node given = list[i].IsMap() ? list[i]["name"] : YAML::Node();
        names.push_back(given.IsScalar() ? given.Scalar() : (i == 0 ? list_key : list_key + std::to_string(i + 1)));
      }
      const auto found = std::find(names.begin(), names.end(), name);
      if (found == names.end()) {
        const std::string hint = closest_match(name, names);
        throw ScenarioError(override_place(o) + ": " + list_path + "[" + name + "]: " +
                            (list.IsSequence() ? "no entry of " + list_path + " is named '" + name + "'" : list_path + " is not a list in the file") +
                            " (" + (hint.empty() ? "" : "did you mean '" + hint + "'? ") + "expected an index" +
                            (names.empty() ? "" : " or one of " + join(names)) + ")");
      }
      o.path = match.prefix().str() + "[" + std::to_string(found - names.begin()) + "]" + match.suffix().str();
    }
    o.path = format_path(parse_path(o.path));
  }
  return resolved;
}

YAML::Node apply_overrides(YAML::Node root, const std::vector<Override>& overrides) {
  if (!root.IsDefined() || root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
  for (const Override& o : overrides) OverrideApplier(o).apply(root);
  return root;
}

bool path_exists(const YAML::Node& root, const std::string& path) {
  YAML::Node node;
  node.reset(root);
  for (const PathStep& step : parse_path(path)) {
    const std::optional<YAML::Node> child = step_into(node, step);
    if (!child) return false;
    node.reset(*child);
  }
  return true;
}

bool path_exists(const nlohmann::ordered_json& resolved, const std::string& path) {
  const nlohmann::ordered_json* node = &resolved;
  for (const PathStep& step : parse_path(path)) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      if (!node->is_object() || !node->contains(*key)) return false;
      node = &(*node)[*key];
    } else {
      const std::size_t index = std::get<std::size_t>(step);
      if (!node->is_array() || index >= node->size()) return false;
      node = &(*node)[index];
    }
  }
  return true;
}

}  // namespace qlab::workloads
