#include "live/backends/nats_launcher.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr auto kPollPause = std::chrono::milliseconds(20);  // between two readiness probes

}  // namespace

NatsLauncher::NatsLauncher(std::string binary) : binary_(std::move(binary)) {}

NatsLauncher::~NatsLauncher() { stop_all(); }

void NatsLauncher::start(const LaunchPlan& plan, Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  stop_all();
  nodes_.clear();
  hosts_.emplace(plan);
  layout_.emplace(plan.queue, plan.backend_options);
  if (layout_->replicas() > plan.nodes) {
    throw std::runtime_error("nats: " + std::to_string(layout_->replicas()) + " replicas need as many nodes, the plan has " +
                             std::to_string(plan.nodes));
  }
  nodes_.resize(plan.nodes);
  for (std::uint32_t i = 0; i < plan.nodes; ++i) {
    Host& host = hosts_->at(i);
    Node& node = nodes_[i];
    node.server = std::make_unique<ServerNode>(host, hosts_->run(), "nats-n" + std::to_string(i), binary_);
    node.client = {host.address(), host.free_port()};
    node.route = {host.address(), plan.nodes > 1 ? host.free_port() : std::uint16_t{0}};
  }
  for (Node& node : nodes_) spawn(node);
  for (Node& node : nodes_) wait_accepting(node, deadline);
  declare(deadline);
  version_ = "nats-server " + connect(deadline - monotonic_now())->server_version();
}

void NatsLauncher::spawn(Node& node) {
  const std::string name = node.server->name().substr(5);  // "n0"
  std::vector<std::string> args = {"-n", name, "-a", node.client.host, "-p", std::to_string(node.client.port), "-js",
                                   "-sd", node.server->data_dir()};
  if (nodes_.size() > 1) {
    std::string routes;
    for (const Node& other : nodes_) {
      if (&other == &node) continue;
      routes += (routes.empty() ? "" : ",") + std::string("nats-route://") + other.route.host + ":" +
                std::to_string(other.route.port);
    }
    args.insert(args.end(), {"--cluster_name", "qlab", "--cluster",
                             "nats-route://" + node.route.host + ":" + std::to_string(node.route.port), "--routes", routes});
  }
  node.server->spawn(args);
}

void NatsLauncher::wait_accepting(const Node& node, Time deadline) {
  node.server->wait_ready(
      [&] {
        try {
          NatsConnection probe({node.client}, 0, "qlab-launcher", std::clamp<Time>(deadline - monotonic_now(), 0, kSecond));
          return true;
        } catch (const BackendError&) {
          std::this_thread::sleep_for(kPollPause);
          return false;
        }
      },
      deadline);
}

void NatsLauncher::declare(Time deadline) {
  std::string last_error;
  while (monotonic_now() < deadline) {
    try {
      const auto connection = connect(deadline - monotonic_now());
      declare_nats_streams(*connection, *layout_, std::min<Time>(deadline - monotonic_now(), 5 * kSecond));
      return;
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw std::runtime_error(e.what());
      last_error = e.what();  // no JetStream meta leader yet
    }
    std::this_thread::sleep_for(kPollPause);
  }
  throw std::runtime_error("nats: JetStream not ready in time: " + last_error + "; log tail of n0:\n" +
                           nodes_.front().server->log_tail());
}

std::vector<Endpoint> NatsLauncher::endpoints() const {
  std::vector<Endpoint> result;
  for (const Node& node : nodes_) result.push_back(node.client);
  return result;
}

bool NatsLauncher::running(std::uint32_t node) const {
  return node < nodes_.size() && nodes_[node].server->running();
}

std::unique_ptr<NatsConnection> NatsLauncher::connect(Time timeout) const {
  std::vector<Endpoint> live;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (running(i)) live.push_back(nodes_[i].client);
  }
  return std::make_unique<NatsConnection>(live, 0, "qlab-launcher", timeout);
}

std::uint32_t NatsLauncher::leader() {
  if (nodes_.size() == 1) return 0;
  const Time deadline = monotonic_now() + kElectionTimeout;
  std::string last;
  while (monotonic_now() < deadline) {
    try {
      const auto connection = connect(kSecond);
      const nlohmann::json info = jetstream_call(*connection, std::string("$JS.API.STREAM.INFO.") + NatsLayout::kStream,
                                                 nullptr, kSecond);
      const nlohmann::json cluster = info.value("cluster", nlohmann::json::object());
      const nlohmann::json leader = cluster.is_object() ? cluster.value("leader", nlohmann::json()) : nullptr;
      last = leader.is_string() ? leader.get<std::string>() : info.dump();
      for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
        if (nodes_[i].server->name() == "nats-" + last && running(i)) return i;
      }
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw std::runtime_error(e.what());
      last = e.what();
    }
    std::this_thread::sleep_for(kPollPause);
  }
  throw std::runtime_error("nats: the stream has no leader after " + std::to_string(kElectionTimeout / kSecond) +
                           " s (last answer: " + last + ")");
}

std::optional<std::uint64_t> NatsLauncher::held() {
  try {
    const auto connection = connect(kSecond);
    const nlohmann::json info = jetstream_call(*connection, std::string("$JS.API.STREAM.INFO.") + NatsLayout::kStream,
                                               nullptr, 2 * kSecond);
    const nlohmann::json state = info.value("state", nlohmann::json::object());
    if (state.contains("messages") && state["messages"].is_number_unsigned()) return state["messages"].get<std::uint64_t>();
  } catch (const BackendError&) {
  }
  return std::nullopt;
}

void NatsLauncher::kill(std::uint32_t node) {
  if (node < nodes_.size()) nodes_[node].server->kill();
}

void NatsLauncher::restart(std::uint32_t node, Time timeout) {
  if (node >= nodes_.size()) throw std::runtime_error("nats: no node " + std::to_string(node));
  if (running(node)) return;
  const Time deadline = monotonic_now() + timeout;
  spawn(nodes_[node]);
  wait_accepting(nodes_[node], deadline);
  // A file-storage node restarts on its own store, which has the streams; only memory storage can have lost
  // them (every replica killed). Declaring waits for a JetStream meta leader (seconds in a cluster), so it
  // happens only when needed, once every node runs again.
  if (layout_->storage() != "memory") return;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (!running(i)) return;
  }
  declare(deadline);
}

void NatsLauncher::stop_all() noexcept {
  for (Node& node : nodes_) {
    if (node.server) node.server->stop();
  }
}

}  // namespace qlab::live
