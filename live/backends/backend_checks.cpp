#include "live/backends/backend_checks.hpp"

#include <algorithm>
#include <stdexcept>

namespace qlab::live {

void require_design(const std::string& backend, const QueueSpec& queue, std::initializer_list<std::string_view> designs) {
  if (std::find(designs.begin(), designs.end(), queue.design) != designs.end()) return;
  std::string list;
  for (std::string_view d : designs) list += (list.empty() ? "" : ", ") + std::string(d);
  throw std::invalid_argument("back end " + backend + " cannot run queue.design: " + queue.design + " (it runs " + list + ")");
}

std::int64_t int_param(const QueueSpec& queue, const std::string& name, std::int64_t fallback) {
  const auto it = queue.params.find(name);
  if (it == queue.params.end()) return fallback;
  return std::get<std::int64_t>(it->second);
}

bool flag_param(const QueueSpec& queue, const std::string& name, bool fallback) {
  const auto it = queue.params.find(name);
  if (it == queue.params.end()) return fallback;
  return std::get<bool>(it->second);
}

std::string text_param(const QueueSpec& queue, const std::string& name, const std::string& fallback) {
  const auto it = queue.params.find(name);
  if (it == queue.params.end()) return fallback;
  return std::get<std::string>(it->second);
}

void cannot_express(const std::string& backend, const std::string& name, const std::string& why) {
  throw std::invalid_argument("back end " + backend + " cannot express queue." + name + ": " + why);
}

void refuse_drop_faults(const std::string& backend, const Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    if (scenario.faults[i].action != FaultAction::drop) continue;
    throw std::invalid_argument(
        "back end " + backend + " cannot express faults[" + std::to_string(i) + "]: drop (a drop loses single "
        "messages, a publish, a delivery or an ack, with probability p while the connection stays up; the fault "
        "proxy finds messages only in qlab's protocol: cutting bytes out of " + backend + "'s stream would "
        "desynchronise client and server, and closing the connection would lose everything in flight on it, "
        "a different fault; docs/BACKENDS.md, \"Why drop is refused\")");
  }
}

void require_single_node(const std::string& backend, const Scenario& scenario) {
  for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
    const FaultSpec& f = scenario.faults[i];
    if (f.action == FaultAction::broker_crash && f.target.kind == FaultTarget::Kind::broker && f.target.first > 0) {
      throw std::invalid_argument("back end " + backend + " cannot express faults[" + std::to_string(i) +
                                  "].target: " + f.target.text + " (it runs a single server, node 0)");
    }
  }
}

BackendOptions::BackendOptions(std::string backend, const nlohmann::json& options, std::vector<std::string> known)
    : backend_(std::move(backend)), options_(options.is_null() ? nlohmann::json::object() : options) {
  if (!options_.is_object()) {
    throw std::invalid_argument("live.backend_options: expected a mapping of " + backend_ + " options");
  }
  for (const auto& [key, value] : options_.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    bad(key, "unknown option (" + backend_ + " knows: " + (list.empty() ? "none" : list) + ")");
  }
}

void BackendOptions::bad(const std::string& key, const std::string& why) const {
  throw std::invalid_argument("live.backend_options." + key + " (back end " + backend_ + "): " + why);
}

bool BackendOptions::flag(const std::string& key, bool fallback) const {
  if (!options_.contains(key)) return fallback;
  if (!options_[key].is_boolean()) bad(key, "expected true or false");
  return options_[key].get<bool>();
}

std::int64_t BackendOptions::integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const {
  if (!options_.contains(key)) return fallback;
  if (!options_[key].is_number_integer()) bad(key, "expected an integer");
  const auto value = options_[key].get<std::int64_t>();
  if (value < min || value > max) bad(key, "must be in " + std::to_string(min) + ".." + std::to_string(max));
  return value;
}

std::string BackendOptions::choice(const std::string& key, const std::string& fallback,
                                   const std::vector<std::string>& choices) const {
  if (!options_.contains(key)) return fallback;
  const nlohmann::json& value = options_[key];
  if (value.is_string() && std::find(choices.begin(), choices.end(), value.get<std::string>()) != choices.end()) {
    return value.get<std::string>();
  }
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : "|") + c;
  bad(key, "expected one of " + list + ", got " + value.dump());
}

}  // namespace qlab::live
