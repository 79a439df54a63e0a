#include "live/backends/nats_backend.hpp"

#include <stdexcept>

#include "live/backends/nats_client.hpp"
#include "live/backends/nats_launcher.hpp"
#include "live/backends/queue_mapping.hpp"

namespace qlab::live {
namespace {

constexpr std::uint32_t kMaxReplicas = 5;  // JetStream's limit

void refuse(const std::string& key, const std::string& why) {
  throw std::invalid_argument("nats cannot express " + key + ": " + why);
}

void check_nats(const Scenario& scenario, const nlohmann::json& backend_options) {
  const NatsLayout layout(scenario.queue, backend_options);  // the design and backend_options
  const QueueMapping& queue = layout.mapping();
  if (queue.release_on_disconnect) {
    refuse("queue.release_on_disconnect: true", "JetStream redelivers a lost consumer's messages after ack_wait only");
  }
  if (queue.acks_leader) refuse("queue.acks: leader", "a JetStream PubAck always waits for a quorum of the replicas");
  if (queue.unclean_election) {
    refuse("queue.unclean_election: true", "JetStream's Raft never elects a replica that lacks committed entries");
  }
  if (queue.replicas > kMaxReplicas) {
    refuse("queue.replicas: " + std::to_string(queue.replicas), "JetStream streams have at most 5 replicas");
  }
}

}  // namespace

Backend nats_backend() {
  return {
      .name = "nats",
      .server_binary = "nats-server",
      .features = "designs pull, preassigned, visibility_timeout, replicated (num_replicas on a cluster); "
                  "broker_crash of a node or the stream leader; options storage: file|memory, dedup: true|false",
      .connect = [](const ClientConfig& config) -> std::unique_ptr<BrokerClient> {
        return std::make_unique<NatsClient>(config);
      },
      .make_launcher = []() -> std::unique_ptr<BrokerLauncher> { return std::make_unique<NatsLauncher>(); },
      .check = check_nats,
  };
}

}  // namespace qlab::live
