#pragma once
// Back ends by name: how to connect a client, how to launch the servers, and what each can express.
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/scenario.hpp"
#include "live/backends/broker_client.hpp"
#include "live/backends/broker_launcher.hpp"

namespace qlab::live {

struct Backend {
  std::string name;                     // qlab | nats | redis | beanstalkd | rabbitmq
  std::string server_binary;            // looked up on PATH (or a fixed path) by `qlab backends`
  std::string features;                 // one line for `qlab backends`: designs, faults, durability options
  std::function<std::unique_ptr<BrokerClient>(const ClientConfig&)> connect;
  std::function<std::unique_ptr<BrokerLauncher>()> make_launcher;
  // Throws workloads::ScenarioError-style std::invalid_argument naming the back end and the scenario key it
  // cannot express (checked before anything starts).
  std::function<void(const Scenario&, const nlohmann::json& backend_options)> check;
};

std::span<const Backend> backends();
// Throws std::invalid_argument listing the known names.
const Backend& find_backend(std::string_view name);

// The scenario's live.backend_options as the clients and launchers take them (a JSON object).
nlohmann::json backend_options_json(const Scenario& scenario);

}  // namespace qlab::live
