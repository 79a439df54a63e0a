#include "live/backends/rabbitmq_backend.hpp"

#include <stdexcept>

#include "live/backends/queue_mapping.hpp"
#include "live/backends/rabbitmq_client.hpp"
#include "live/backends/rabbitmq_launcher.hpp"

namespace qlab::live {
namespace {

constexpr std::uint32_t kMaxNodes = 5;

void refuse(const std::string& key, const std::string& why) {
  throw std::invalid_argument("rabbitmq cannot express " + key + ": " + why);
}

void check_rabbitmq(const Scenario& scenario, const nlohmann::json& backend_options) {
  const RabbitmqLayout layout(scenario.queue, backend_options);  // the design, backend_options, max_receives
  const QueueMapping& queue = layout.mapping();
  // release_on_disconnect: false is not refused although RabbitMQ returns a closed connection's deliveries at
  // once: refusing the default would refuse every scenario; docs/BACKENDS.md says so.
  if (queue.replicas > kMaxNodes) {
    refuse("queue.replicas: " + std::to_string(queue.replicas),
           "qlab starts at most 5 RabbitMQ nodes (each takes seconds and over 100 MB)");
  }
  if (scenario.queue.design == "replicated" && !layout.quorum()) {
    refuse("queue.design: replicated with queue_type: classic", "replication needs a quorum queue");
  }
  if (queue.acks_leader) refuse("queue.acks: leader", "a quorum queue confirms once a majority has the message");
  if (queue.unclean_election) {
    refuse("queue.unclean_election: true", "a quorum queue's Raft never elects a member that lacks committed entries");
  }
}

}  // namespace

Backend rabbitmq_backend() {
  return {
      .name = "rabbitmq",
      .server_binary = RabbitmqLauncher::kServer,
      .features = "designs pull, preassigned, visibility_timeout (consumer_timeout, release_on_disconnect: true), "
                  "replicated (a quorum queue on a cluster of up to 5 nodes); no extend; option queue_type: "
                  "quorum|classic",
      .connect = [](const ClientConfig& config) -> std::unique_ptr<BrokerClient> {
        return std::make_unique<RabbitmqClient>(config);
      },
      .make_launcher = []() -> std::unique_ptr<BrokerLauncher> { return std::make_unique<RabbitmqLauncher>(); },
      .check = check_rabbitmq,
  };
}

}  // namespace qlab::live
