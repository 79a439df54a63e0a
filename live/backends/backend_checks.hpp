#pragma once
// What every back end checks before a run: which designs and design parameters it can express, and its
// live.backend_options. Errors are std::invalid_argument naming the back end and the key.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"

namespace qlab::live {

// Throws unless queue.design is one of `designs`.
void require_design(const std::string& backend, const QueueSpec& queue, std::initializer_list<std::string_view> designs);

// A design parameter with its default filled in by the loader; a missing one yields `fallback`.
std::int64_t int_param(const QueueSpec& queue, const std::string& name, std::int64_t fallback);
bool flag_param(const QueueSpec& queue, const std::string& name, bool fallback);
std::string text_param(const QueueSpec& queue, const std::string& name, const std::string& fallback);

// Throws `<backend> cannot express queue.<name>: <why>` (the scenario key it cannot run).
[[noreturn]] void cannot_express(const std::string& backend, const std::string& name, const std::string& why);

// Throws unless every broker_crash aims at node 0 (or `leader`, which is node 0): the back end runs one server.
void require_single_node(const std::string& backend, const Scenario& scenario);

// Throws for a `drop` fault, naming `backend` (a real broker) and why: the simulator's drop loses single
// messages while the connection stays up, and the fault proxy can cut only qlab's protocol into messages.
void refuse_drop_faults(const std::string& backend, const Scenario& scenario);

// live.backend_options of one back end: refuses keys it does not know, and reads typed values.
class BackendOptions {
 public:
  BackendOptions(std::string backend, const nlohmann::json& options, std::vector<std::string> known);
  bool flag(const std::string& key, bool fallback) const;
  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t min, std::int64_t max) const;
  std::string choice(const std::string& key, const std::string& fallback, const std::vector<std::string>& choices) const;

 private:
  [[noreturn]] void bad(const std::string& key, const std::string& why) const;
  std::string backend_;
  nlohmann::json options_;
};

}  // namespace qlab::live
