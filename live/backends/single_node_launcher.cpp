#include "live/backends/single_node_launcher.hpp"

#include <stdexcept>

#include "live/steady_clock.hpp"

namespace qlab::live {

void SingleNodeLauncher::start(const LaunchPlan& plan, Time timeout) {
  if (plan.nodes != 1) {
    throw std::invalid_argument(server_name() + " runs as a single node (asked for " + std::to_string(plan.nodes) + ")");
  }
  stop_all();
  node_.reset();
  plan_ = plan;
  hosts_.emplace(plan);
  Host& host = hosts_->at(0);
  node_ = std::make_unique<ServerNode>(host, hosts_->run(), server_name() + "-0", program());
  endpoint_ = Endpoint{host.address(), host.free_port()};
  launch(timeout);
}

void SingleNodeLauncher::launch(Time timeout) {
  // The command line is built for every start: a server may need to know it is a restart.
  node_->spawn(command(plan_, endpoint_, node_->data_dir()));
  node_->wait_ready([this] { return ready(endpoint_); }, monotonic_now() + timeout);
}

bool SingleNodeLauncher::ready(const Endpoint& endpoint) { return accepts_connections(endpoint); }

std::vector<Endpoint> SingleNodeLauncher::endpoints() const {
  if (!node_) return {};
  return {endpoint_};
}

void SingleNodeLauncher::kill(std::uint32_t node) {
  if (node != 0 || !node_) throw std::invalid_argument(server_name() + ": no node " + std::to_string(node));
  node_->kill();
}

void SingleNodeLauncher::restart(std::uint32_t node, Time timeout) {
  kill(node);
  launch(timeout);
}

void SingleNodeLauncher::stop_all() noexcept {
  if (node_) node_->stop();
}

}  // namespace qlab::live
