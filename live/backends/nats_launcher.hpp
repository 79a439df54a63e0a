#pragma once
// Private nats-server processes with JetStream: one node, or a cluster of plan.nodes with routes between them
// (server names n0, n1, ...), each on free ports of its host (LaunchPlan::hosts), configured by command-line
// flags only (no config file), its store in the run's folder nats-n<i>/ and its log in nats-n<i>.log there.
// Ready when JetStream answers and the streams of nats_layout.hpp are declared.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "live/backends/broker_launcher.hpp"
#include "live/backends/nats_layout.hpp"
#include "live/backends/server_node.hpp"

namespace qlab::live {

class NatsLauncher final : public BrokerLauncher {
 public:
  static constexpr Time kElectionTimeout = 30 * kSecond;  // leader() gives up after this

  // `binary`: the nats-server executable (looked up on each host's PATH).
  explicit NatsLauncher(std::string binary = "nats-server");
  ~NatsLauncher() override;

  void start(const LaunchPlan& plan, Time timeout) override;
  std::vector<Endpoint> endpoints() const override;
  std::uint32_t node_count() const override { return static_cast<std::uint32_t>(nodes_.size()); }
  // The work stream's leader by JetStream's stream info; waits (at most kElectionTimeout) while it has none.
  std::uint32_t leader() override;
  void kill(std::uint32_t node) override;
  // Also declares the streams again once every node runs (a memory stream does not survive its nodes).
  void restart(std::uint32_t node, Time timeout) override;
  void stop_all() noexcept override;
  std::string version() const override { return version_; }
  // Messages in the work-queue stream QLAB (acked ones are gone): waiting, handed out, or past max_deliver.
  std::optional<std::uint64_t> held() override;

  bool running(std::uint32_t node) const;
  bool alive(std::uint32_t node) override { return running(node); }
  // A connection to any running node (for JetStream API calls). Throws BackendError.
  std::unique_ptr<NatsConnection> connect(Time timeout) const;

 private:
  struct Node {
    std::unique_ptr<ServerNode> server;
    Endpoint client;
    Endpoint route;  // port 0 for a single node
  };

  void spawn(Node& node);
  // Polls until `node` accepts a client connection; throws with its log's tail when it exits or times out.
  void wait_accepting(const Node& node, Time deadline);
  // Polls until JetStream answers and the streams are declared.
  void declare(Time deadline);

  std::string binary_;
  std::optional<NodeHosts> hosts_;
  std::optional<NatsLayout> layout_;
  std::vector<Node> nodes_;
  std::string version_;
};

}  // namespace qlab::live
