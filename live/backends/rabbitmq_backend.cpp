#include "live/backends/rabbitmq_backend.hpp"

#include <stdexcept>

#include "live/backends/queue_mapping.hpp"
#include "live/backends/rabbitmq_client.hpp"
#include "live/backends/rabbitmq_launcher.hpp"

namespace qlab::live {
namespace {

void refuse(const std::string& key, const std::string& why) {
  throw std::invalid_argument("rabbitmq cannot express " + key + ": " + why);
}

void check_rabbitmq(const Scenario& scenario, const nlohmann::json& backend_options) {
  const QueueSpec& queue = scenario.queue;
  const std::string& design = queue.design;
  if (design != "pull" && design != "preassigned" && design != "visibility_timeout" && design != "replicated") {
    refuse("queue.design: " + design, "no RabbitMQ mapping (pull, preassigned, visibility_timeout, replicated)");
  }
  const RabbitmqLayout layout(queue, backend_options);  // validates backend_options and max_receives
  // release_on_disconnect: false is not refused although RabbitMQ returns a closed connection's deliveries at
  // once: refusing the default would refuse every scenario; docs/BACKENDS.md says so.
  if (design == "replicated" && layout.replicas() > 1) {
    refuse("queue.replicas: " + std::to_string(layout.replicas()), "qlab starts a single RabbitMQ node, no cluster");
  }
  if (design == "replicated" && !layout.quorum()) {
    refuse("queue.design: replicated with queue_type: classic", "replication needs a quorum queue");
  }
  if (param_or<std::string>(queue, "acks", "all") == "leader") {
    refuse("queue.acks: leader", "a quorum queue confirms once a majority has the message");
  }
  for (const FaultSpec& fault : scenario.faults) {
    if (fault.action == FaultAction::drop) {
      refuse("faults: drop", "it drops qlab protocol frames; RabbitMQ speaks AMQP");
    }
  }
}

}  // namespace

Backend rabbitmq_backend() {
  return {
      .name = "rabbitmq",
      .server_binary = RabbitmqLauncher::kServer,
      .features = "designs pull, preassigned, visibility_timeout (consumer_timeout, release_on_disconnect: true), "
                  "replicated with replicas: 1 (quorum queue, single node); no extend; option queue_type: "
                  "quorum|classic",
      .connect = [](const ClientConfig& config) -> std::unique_ptr<BrokerClient> {
        return std::make_unique<RabbitmqClient>(config);
      },
      .make_launcher = []() -> std::unique_ptr<BrokerLauncher> { return std::make_unique<RabbitmqLauncher>(); },
      .check = check_rabbitmq,
  };
}

}  // namespace qlab::live
