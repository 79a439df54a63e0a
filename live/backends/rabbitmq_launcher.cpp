#include "live/backends/rabbitmq_launcher.hpp"

#include <signal.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "live/backends/server_node.hpp"
#include "live/backends/rabbitmq_connection.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr auto kPollPause = std::chrono::milliseconds(100);  // between two login attempts

std::string random_cookie() {
  std::random_device device;
  std::string cookie;
  for (int i = 0; i < 20; ++i) cookie.push_back(static_cast<char>('A' + device() % 26));
  return cookie;
}

}  // namespace

RabbitmqLauncher::~RabbitmqLauncher() { stop_all(); }

void RabbitmqLauncher::start(const LaunchPlan& plan, Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  stop_all();
  nodes_.clear();
  epmds_.clear();
  hosts_.emplace(plan);
  layout_.emplace(plan.queue, plan.backend_options);
  if (layout_->replicas() > plan.nodes) {
    throw std::runtime_error("rabbitmq: " + std::to_string(layout_->replicas()) +
                             " replicas need as many nodes, the plan has " + std::to_string(plan.nodes));
  }
  spread_ = false;
  for (std::uint32_t i = 1; i < plan.nodes; ++i) spread_ = spread_ || &hosts_->at(i) != &hosts_->at(0);
  // One epmd per host, all on one port (a node finds another host's nodes at that port there): a port free on
  // the first host is taken to be free on the others, and on each host's loopback.
  epmd_port_ = hosts_->at(0).free_port();
  const std::string cookie = random_cookie();  // one for all: the nodes of a cluster must share it
  nodes_.resize(plan.nodes);
  for (std::uint32_t i = 0; i < plan.nodes; ++i) {
    Host& host = hosts_->at(i);
    Node& node = nodes_[i];
    // Short names on one host's loopback; names with the host's address (long names) across hosts.
    node.name = "qlab" + std::to_string(i) + "@" + (spread_ ? host.address() : "localhost");
    node.server = std::make_unique<ServerNode>(host, hosts_->run(), "rabbitmq-n" + std::to_string(i), "rabbitmq-server");
    node.port = host.free_port();
    node.dist_port = host.free_port();
    host.put_erlang_cookie(hosts_->run(), node.server->name(), cookie);
    if (epmds_.contains(&host)) continue;
    host.put(hosts_->run(), "rabbitmq-plugins", "[].\n");
    auto epmd = std::make_unique<ServerNode>(host, hosts_->run(), "rabbitmq-epmd", "epmd");
    epmd->spawn({"-port", std::to_string(epmd_port_), "-address", distribution_address(host)});
    epmds_.emplace(&host, std::move(epmd));
  }
  // Node 0 first: the others find it running at boot and join it.
  spawn(nodes_.front());
  wait_ready(nodes_.front(), deadline);
  for (std::size_t i = 1; i < nodes_.size(); ++i) spawn(nodes_[i]);
  for (std::size_t i = 1; i < nodes_.size(); ++i) wait_ready(nodes_[i], deadline);
  declare(deadline);
}

std::string RabbitmqLauncher::distribution_address(const Host& host) const {
  return spread_ ? host.address() : "127.0.0.1";
}

void RabbitmqLauncher::spawn(Node& node) {
  // RABBITMQ_ALLOW_INPUT makes the script exec the VM (else it waits on it as a child, and a SIGKILL of the
  // script would orphan the node); -noinput keeps the Erlang shell off all the same. The distribution (which
  // runs any code for a holder of the cookie) listens on the loopback, or on the host's address when the
  // nodes are spread over several hosts.
  Host& host = node.server->host();
  std::string address = distribution_address(host);
  std::replace(address.begin(), address.end(), '.', ',');
  std::string erl_args = "-noinput -start_epmd false -kernel inet_dist_use_interface {" + address + "}";
  if (layout_->consumer_timeout() > 0) {
    const Time timeout_ms = std::max<Time>(1, layout_->consumer_timeout() / kMillisecond);
    erl_args += " -rabbit consumer_timeout " + std::to_string(timeout_ms) + " -rabbit channel_tick_interval " +
                std::to_string(std::clamp<Time>(timeout_ms / 10, 10, 1000));
  }
  // Clients on other hosts log in as guest too (RabbitMQ admits guest from its loopback only by default): like
  // the other back ends' servers, the node trusts the network of the run (docs/SECURITY.md).
  if (!host.address().starts_with("127.")) erl_args += " -rabbit loopback_users []";
  if (nodes_.size() > 1) {
    std::string names;
    for (const Node& member : nodes_) names += (names.empty() ? "'" : ",'") + member.name + "'";
    erl_args += " -rabbit cluster_nodes {[" + names + "],disc}";
  }
  const std::string dir = node.server->data_dir();
  Environment env = cli_environment(node);
  env.insert({{"RABBITMQ_NODE_IP_ADDRESS", host.address()},
              {"RABBITMQ_NODE_PORT", std::to_string(node.port)},
              {"RABBITMQ_DIST_PORT", std::to_string(node.dist_port)},
              {"RABBITMQ_MNESIA_BASE", dir + "/data"},
              {"RABBITMQ_LOG_BASE", dir + "/log"},
              {"RABBITMQ_LOGS", "-"},
              {"RABBITMQ_ENABLED_PLUGINS_FILE", host.path(hosts_->run(), "rabbitmq-plugins")},
              {"RABBITMQ_ALLOW_INPUT", "true"},
              {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", erl_args}});
  node.server->spawn({}, env);
}

Environment RabbitmqLauncher::cli_environment(const Node& node) const {
  Environment env = {{"HOME", node.server->data_dir()},
                     {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
                     {"RABBITMQ_NODENAME", node.name},
                     {"RABBITMQ_CONF_ENV_FILE", "/dev/null"}};
  if (spread_) env["RABBITMQ_USE_LONGNAME"] = "true";  // node names with an address
  return env;
}

void RabbitmqLauncher::wait_ready(const Node& node, Time deadline) {
  const Endpoint endpoint{node.server->host().address(), node.port};
  node.server->wait_ready(
      [&] {
        try {
          RabbitmqConnection probe({endpoint}, 0, std::clamp<Time>(deadline - monotonic_now(), kSecond / 10, 2 * kSecond));
          return true;
        } catch (const BackendError&) {
          std::this_thread::sleep_for(kPollPause);
          return false;
        }
      },
      deadline);
}

void RabbitmqLauncher::declare(Time deadline) {
  std::string last_error;
  while (monotonic_now() < deadline) {
    try {
      RabbitmqConnection connection(endpoints(), 0, std::max<Time>(deadline - monotonic_now(), kSecond));
      if (!layout_->preassigned()) connection.declare_queue(*layout_, RabbitmqLayout::kQueue);
      connection.declare_queue(*layout_, RabbitmqLayout::kDeadQueue);
      version_ = connection.server_version();
      return;
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw std::runtime_error(e.what());
      last_error = e.what();
    }
    std::this_thread::sleep_for(kPollPause);
  }
  throw std::runtime_error("rabbitmq: cannot declare the queues: " + last_error);
}

std::vector<Endpoint> RabbitmqLauncher::endpoints() const {
  std::vector<Endpoint> result;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (running(i)) result.push_back({nodes_[i].server->host().address(), nodes_[i].port});
  }
  return result;
}

bool RabbitmqLauncher::running(std::uint32_t node) const {
  return node < nodes_.size() && nodes_[node].server && nodes_[node].server->running();
}

std::string RabbitmqLauncher::quorum_status(const Node& node) {
  // Run on the node's host (its CLI reaches the node over that host's loopback), output in a log of its own.
  Host& host = node.server->host();
  const std::string log = "rabbitmq-cli-" + std::to_string(++cli_calls_) + ".log";
  const auto cli = host.start_server(
      hosts_->run(), "rabbitmq-queues",
      {"quorum_status", RabbitmqLayout::kQueue, "--formatter", "json", "-q", "-n", node.name}, log,
      cli_environment(node));
  if (!cli->wait_for_exit(20 * kSecond)) {
    cli->signal(SIGKILL);
    cli->wait_for_exit(5 * kSecond);
    return "";
  }
  for (const auto& [file, content] : host.fetch(hosts_->run(), log)) {
    // The JSON array, without what the CLI may have written to stderr around it.
    const std::size_t begin = content.find('[');
    const std::size_t end = content.rfind(']');
    if (file == log && begin != std::string::npos && end != std::string::npos && begin < end) {
      return content.substr(begin, end - begin + 1);
    }
  }
  return "";
}

std::uint32_t RabbitmqLauncher::leader() {
  if (nodes_.size() == 1) return 0;
  const Time deadline = monotonic_now() + kElectionTimeout;
  std::string last;
  while (monotonic_now() < deadline) {
    for (std::uint32_t asked = 0; asked < nodes_.size(); ++asked) {
      if (!running(asked)) continue;
      last = quorum_status(nodes_[asked]);
      const nlohmann::json members = nlohmann::json::parse(last, nullptr, false);
      if (!members.is_array()) continue;
      for (const nlohmann::json& member : members) {
        // {"Node Name": "qlab1@localhost", "Raft State": "leader" | "follower" | ["nodedown", ...], ...}
        if (!member.is_object() || member.value("Raft State", nlohmann::json()) != "leader") continue;
        const std::string name = member.value("Node Name", nlohmann::json("")).is_string()
                                     ? member["Node Name"].get<std::string>()
                                     : "";
        for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i].name == name && running(i)) return i;
        }
      }
      break;  // one answer per round: it names no running leader yet
    }
    std::this_thread::sleep_for(kPollPause);
  }
  throw std::runtime_error("rabbitmq: the queue has no leader (last answer: " + last + ")");
}

void RabbitmqLauncher::kill(std::uint32_t node) {
  if (node < nodes_.size()) nodes_[node].server->kill();
}

void RabbitmqLauncher::restart(std::uint32_t node, Time timeout) {
  if (node >= nodes_.size()) throw std::runtime_error("rabbitmq: no node " + std::to_string(node));
  if (running(node)) return;
  const Time deadline = monotonic_now() + timeout;
  spawn(nodes_[node]);
  wait_ready(nodes_[node], deadline);
  declare(deadline);
}

void RabbitmqLauncher::stop_all() noexcept {
  for (Node& node : nodes_) {
    if (node.server) node.server->stop();  // SIGKILL, reaped on its host
  }
  for (auto& [host, epmd] : epmds_) epmd->stop();
}

}  // namespace qlab::live
