#include "live/backends/nats_launcher.hpp"

#include <signal.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "live/backends/local_server.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr auto kPollPause = std::chrono::milliseconds(20);  // between two readiness probes

}  // namespace

NatsLauncher::NatsLauncher(std::string binary) : binary_(std::move(binary)) {}

NatsLauncher::~NatsLauncher() { stop_all(); }

void NatsLauncher::start(const LaunchPlan& plan, Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  const std::string path = find_executable(binary_);
  if (path.empty()) throw std::runtime_error("nats: " + binary_ + " not found (apt-get install nats-server)");
  binary_ = path;
  host_ = plan.bind_host;
  layout_.emplace(plan.queue, plan.backend_options);
  if (layout_->replicas() > plan.nodes) {
    throw std::runtime_error("nats: " + std::to_string(layout_->replicas()) + " replicas need as many nodes, the plan has " +
                             std::to_string(plan.nodes));
  }
  nodes_.resize(plan.nodes);
  for (std::uint32_t i = 0; i < plan.nodes; ++i) {
    Node& node = nodes_[i];
    node.name = "n" + std::to_string(i);
    node.client_port = free_tcp_port(host_);
    node.route_port = plan.nodes > 1 ? free_tcp_port(host_) : 0;
    node.dir = plan.work_dir / ("nats-" + node.name);
    std::filesystem::create_directories(node.dir);
  }
  for (Node& node : nodes_) {
    write_config(node);
    spawn(node);
  }
  for (const Node& node : nodes_) wait_accepting(node, deadline);
  declare(deadline);
  version_ = "nats-server " + connect(deadline - monotonic_now())->server_version();
}

void NatsLauncher::write_config(const Node& node) const {
  std::ofstream config(node.dir / "nats.conf");
  config << "server_name: " << node.name << "\nhost: " << host_ << "\nport: " << node.client_port << "\n"
         << "jetstream { store_dir: \"" << (node.dir / "store").string()
         << "\", max_memory_store: 1GB, max_file_store: 10GB }\n";
  if (nodes_.size() > 1) {
    config << "cluster { name: qlab, host: " << host_ << ", port: " << node.route_port << ", routes: [";
    const char* separator = "";
    for (const Node& other : nodes_) {
      if (&other == &node) continue;
      config << separator << " \"nats-route://" << host_ << ":" << other.route_port << "\"";
      separator = ",";
    }
    config << " ] }\n";
  }
  if (!config) throw std::runtime_error("nats: cannot write " + (node.dir / "nats.conf").string());
}

void NatsLauncher::spawn(Node& node) {
  node.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{binary_, "-c", (node.dir / "nats.conf").string()}, node.dir / "nats.log", false);
}

void NatsLauncher::wait_accepting(const Node& node, Time deadline) {
  while (true) {
    try {
      NatsConnection probe({{host_, node.client_port}}, 0, "qlab-launcher", std::max<Time>(deadline - monotonic_now(), 0));
      return;
    } catch (const BackendError& e) {
      if (node.process->reap() || monotonic_now() >= deadline) {
        throw std::runtime_error("nats: node " + node.name + " did not start (" + e.what() + "); log tail:\n" +
                                 file_tail(node.dir / "nats.log"));
      }
    }
    std::this_thread::sleep_for(kPollPause);
  }
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
                           file_tail(nodes_.front().dir / "nats.log"));
}

std::vector<Endpoint> NatsLauncher::endpoints() const {
  std::vector<Endpoint> result;
  for (const Node& node : nodes_) result.push_back({host_, node.client_port});
  return result;
}

bool NatsLauncher::running(std::uint32_t node) const {
  return node < nodes_.size() && nodes_[node].process && nodes_[node].process->running();
}

std::unique_ptr<NatsConnection> NatsLauncher::connect(Time timeout) const {
  std::vector<Endpoint> live;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (running(i)) live.push_back({host_, nodes_[i].client_port});
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
        if (nodes_[i].name == last && running(i)) return i;
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
  if (!running(node)) return;
  nodes_[node].process->signal(SIGKILL);
  nodes_[node].process->wait_for_exit(10 * kSecond);
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
  for (Node& node : nodes_) node.process.reset();  // SIGKILL and waitpid (ChildProcess)
}

}  // namespace qlab::live
