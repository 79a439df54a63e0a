#pragma once
// Private RabbitMQ nodes on the placement's hosts (this machine or `qlab agent`s): on each host with nodes an
// epmd of the run's own (one free port for all hosts), and rabbitmq-server run directly from
// /usr/lib/rabbitmq/bin with HOME (and in it the Erlang cookie, a random value made here), data and log
// folders in the run's folder rabbitmq-n<i>/ there, the AMQP listener on a free port of the host's address.
// Nodes on one host are qlab<i>@localhost with epmd and the distribution on its loopback; nodes on several
// hosts are qlab<i>@ADDRESS (long names) with them on each host's address. With plan.nodes > 1, node 0
// starts first and the others join it at boot (classic peer discovery). The scenario's visibility timeout
// becomes every node's consumer_timeout (checked every tenth of it). A node takes 3-30 s to start here.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "live/backends/broker_launcher.hpp"
#include "live/backends/rabbitmq_layout.hpp"
#include "live/backends/server_node.hpp"

namespace qlab::live {

class RabbitmqLauncher final : public BrokerLauncher {
 public:
  static constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
  static constexpr Time kElectionTimeout = 60 * kSecond;  // leader() gives up after this

  RabbitmqLauncher() = default;
  ~RabbitmqLauncher() override;

  void start(const LaunchPlan& plan, Time timeout) override;
  std::vector<Endpoint> endpoints() const override;
  std::uint32_t node_count() const override { return static_cast<std::uint32_t>(nodes_.size()); }
  // The node leading the work queue's Raft group, asked with `rabbitmq-queues quorum_status` (seconds:
  // every call boots a CLI VM); 0 on a single node.
  std::uint32_t leader() override;
  void kill(std::uint32_t node) override;
  void restart(std::uint32_t node, Time timeout) override;
  void stop_all() noexcept override;
  std::string version() const override { return version_; }

  bool running(std::uint32_t node) const;
  bool alive(std::uint32_t node) override { return running(node); }

 private:
  struct Node {
    std::string name;  // qlab<i>@localhost, or qlab<i>@ADDRESS across hosts
    std::uint16_t port = 0;
    std::uint16_t dist_port = 0;
    std::unique_ptr<ServerNode> server;
  };

  void spawn(Node& node);
  // Polls until `node` accepts an AMQP login; throws with its log's tail when it exits or times out.
  void wait_ready(const Node& node, Time deadline);
  void declare(Time deadline);
  // The variables a RabbitMQ program (server or CLI) of `node` needs: HOME, epmd's port, the node name.
  Environment cli_environment(const Node& node) const;
  // Where `host`'s epmd and Erlang distribution listen, and its nodes' host name: its loopback when every node
  // runs on one host, else its address.
  std::string distribution_address(const Host& host) const;
  // The JSON `rabbitmq-queues quorum_status` prints when asked on `node`'s host; "" when it does not answer.
  std::string quorum_status(const Node& node);

  std::optional<NodeHosts> hosts_;
  std::uint16_t epmd_port_ = 0;
  std::uint32_t cli_calls_ = 0;  // each CLI call logs to a file of its own
  std::optional<RabbitmqLayout> layout_;
  std::map<const Host*, std::unique_ptr<ServerNode>> epmds_;  // one per host
  bool spread_ = false;  // the nodes run on several hosts
  std::vector<Node> nodes_;
  std::string version_;
};

}  // namespace qlab::live
