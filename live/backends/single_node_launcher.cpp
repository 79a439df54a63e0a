#include "live/backends/single_node_launcher.hpp"

#include <stdexcept>


namespace qlab::live {

void SingleNodeLauncher::start(const LaunchPlan& plan, Time timeout) {
  if (plan.nodes != 1) {
    throw std::invalid_argument(server_name() + " runs as a single node (asked for " + std::to_string(plan.nodes) + ")");
  }
  stop_all();
  plan_ = plan;
  dir_ = plan.work_dir / (server_name() + "-0");
  std::filesystem::create_directories(dir_ / "data");
  launch(Endpoint{plan.bind_host, free_tcp_port(plan.bind_host)}, timeout);
}

void SingleNodeLauncher::launch(const Endpoint& endpoint, Time timeout) {
  // The command line is built for every start: a server may need to know it is a restart.
  node_.emplace(command(plan_, endpoint, dir_ / "data"), dir_ / "server.log", endpoint,
                [this](const Endpoint& e) { return ready(e); });
  node_->start(timeout);
}

bool SingleNodeLauncher::ready(const Endpoint& endpoint) { return accepts_connections(endpoint); }

std::vector<Endpoint> SingleNodeLauncher::endpoints() const {
  if (!node_) return {};
  return {node_->endpoint()};
}

void SingleNodeLauncher::kill(std::uint32_t node) {
  if (node != 0 || !node_) throw std::invalid_argument(server_name() + ": no node " + std::to_string(node));
  node_->kill();
}

void SingleNodeLauncher::restart(std::uint32_t node, Time timeout) {
  if (node != 0 || !node_) throw std::invalid_argument(server_name() + ": no node " + std::to_string(node));
  const Endpoint endpoint = node_->endpoint();
  node_->kill();
  launch(endpoint, timeout);
}

void SingleNodeLauncher::stop_all() noexcept {
  if (node_) node_->kill();
}

}  // namespace qlab::live
