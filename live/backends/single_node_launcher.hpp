#pragma once
// What the launchers of single-server back ends (qlab, Redis, beanstalkd) share: one node (a ServerNode) on a
// free port of the plan's first host, its data folder and log in the run's folder there, killed and
// restarted on the same port and data. A subclass says how to start its server and, if need be, how to tell
// it is ready.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "live/backends/broker_launcher.hpp"
#include "live/backends/server_node.hpp"

namespace qlab::live {

class SingleNodeLauncher : public BrokerLauncher {
 public:
  ~SingleNodeLauncher() override { stop_all(); }
  // Throws std::invalid_argument when the plan asks for more than one node.
  void start(const LaunchPlan& plan, Time timeout) override;
  std::vector<Endpoint> endpoints() const override;
  std::uint32_t node_count() const override { return 1; }
  std::uint32_t leader() override { return 0; }
  void kill(std::uint32_t node) override;
  void restart(std::uint32_t node, Time timeout) override;
  bool alive(std::uint32_t node) override { return node == 0 && node_ && node_->running(); }
  void stop_all() noexcept override;

 protected:
  // The server's arguments (after its program name), listening on `endpoint`, keeping its data in `data_dir`
  // (a folder on the node's host).
  virtual std::vector<std::string> command(const LaunchPlan& plan, const Endpoint& endpoint,
                                           const std::string& data_dir) = 0;
  // True once the server answers at `endpoint` (default: it accepts a TCP connection).
  virtual bool ready(const Endpoint& endpoint);
  // The server's name in messages and its folder name (with "-0") on the host.
  virtual std::string server_name() const = 0;
  // The server's executable, looked up on its host's PATH ("" for qlab itself).
  virtual std::string program() const = 0;

 private:
  void launch(Time timeout);

  LaunchPlan plan_;
  std::optional<NodeHosts> hosts_;
  std::unique_ptr<ServerNode> node_;
  Endpoint endpoint_;
};

}  // namespace qlab::live
