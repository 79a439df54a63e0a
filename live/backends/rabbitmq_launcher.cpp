#include "live/backends/rabbitmq_launcher.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>
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

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("rabbitmq: cannot write " + path.string());
}

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
  for (const Host* h : plan.hosts) {
    if (h->name() != "local") {
      throw std::invalid_argument("rabbitmq runs its servers on this machine only (broker: " + h->name() +
                                  "; use broker: local and local_address for clients on agents)");
    }
  }
  if (find_executable(kServer).empty()) {
    throw std::runtime_error(std::string("rabbitmq: ") + kServer + " not found (apt-get install rabbitmq-server)");
  }
  const std::string epmd = find_executable("epmd");
  if (epmd.empty()) throw std::runtime_error("rabbitmq: epmd not found (it comes with erlang-base)");
  layout_.emplace(plan.queue, plan.backend_options);
  if (layout_->replicas() > plan.nodes) {
    throw std::runtime_error("rabbitmq: " + std::to_string(layout_->replicas()) +
                             " replicas need as many nodes, the plan has " + std::to_string(plan.nodes));
  }
  host_ = plan.bind_host;
  work_dir_ = plan.work_dir;
  epmd_port_ = free_tcp_port(host_);
  const std::string cookie = random_cookie();  // one for all: the nodes of a cluster must share it
  nodes_.resize(plan.nodes);
  for (std::uint32_t i = 0; i < plan.nodes; ++i) {
    Node& node = nodes_[i];
    node.name = "qlab" + std::to_string(i) + "@localhost";
    node.port = free_tcp_port(host_);
    node.dist_port = free_tcp_port(host_);
    node.dir = plan.work_dir / ("rabbitmq-" + std::to_string(i));
    std::filesystem::create_directories(node.dir / "home");
    const std::filesystem::path cookie_file = node.dir / "home" / ".erlang.cookie";
    if (!std::filesystem::exists(cookie_file)) write_file(cookie_file, cookie);
    std::filesystem::permissions(cookie_file, std::filesystem::perms::owner_read);
    write_file(node.dir / "enabled_plugins", "[].\n");
  }
  epmd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{epmd, "-port", std::to_string(epmd_port_), "-address", host_},
      plan.work_dir / "rabbitmq-epmd.log", false);
  // Node 0 first: the others find it running at boot and join it.
  spawn(nodes_.front());
  wait_ready(nodes_.front(), deadline);
  for (std::size_t i = 1; i < nodes_.size(); ++i) spawn(nodes_[i]);
  for (std::size_t i = 1; i < nodes_.size(); ++i) wait_ready(nodes_[i], deadline);
  declare(deadline);
}

void RabbitmqLauncher::spawn(Node& node) {
  // RABBITMQ_ALLOW_INPUT makes the script exec the VM (else it waits on it as a child, and a SIGKILL of the
  // script would orphan the node); -noinput keeps the Erlang shell off all the same.
  std::string address = host_;  // the Erlang distribution listens on every interface unless told
  std::replace(address.begin(), address.end(), '.', ',');
  std::string erl_args = "-noinput -start_epmd false -kernel inet_dist_use_interface {" + address + "}";
  if (layout_->consumer_timeout() > 0) {
    const Time timeout_ms = std::max<Time>(1, layout_->consumer_timeout() / kMillisecond);
    erl_args += " -rabbit consumer_timeout " + std::to_string(timeout_ms) + " -rabbit channel_tick_interval " +
                std::to_string(std::clamp<Time>(timeout_ms / 10, 10, 1000));
  }
  if (nodes_.size() > 1) {
    std::string names;
    for (const Node& member : nodes_) names += (names.empty() ? "'" : ",'") + member.name + "'";
    erl_args += " -rabbit cluster_nodes {[" + names + "],disc}";
  }
  const std::string dir = node.dir.string();
  std::vector<std::string> argv = {"/usr/bin/env"};
  for (std::string& variable : cli_environment(node)) argv.push_back(std::move(variable));
  for (std::string variable : {"RABBITMQ_NODE_IP_ADDRESS=" + host_,
                               "RABBITMQ_NODE_PORT=" + std::to_string(node.port),
                               "RABBITMQ_DIST_PORT=" + std::to_string(node.dist_port),
                               "RABBITMQ_MNESIA_BASE=" + dir + "/data",
                               "RABBITMQ_LOG_BASE=" + dir + "/log",
                               std::string("RABBITMQ_LOGS=-"),
                               "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir + "/enabled_plugins",
                               std::string("RABBITMQ_ALLOW_INPUT=true"),
                               "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=" + erl_args}) {
    argv.push_back(std::move(variable));
  }
  argv.push_back(kServer);
  node.process = std::make_unique<ChildProcess>(argv, node.dir / "rabbitmq.log", false);
}

std::vector<std::string> RabbitmqLauncher::cli_environment(const Node& node) const {
  return {"HOME=" + node.dir.string() + "/home", "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
          "RABBITMQ_NODENAME=" + node.name, "RABBITMQ_CONF_ENV_FILE=/dev/null"};
}

void RabbitmqLauncher::wait_ready(const Node& node, Time deadline) {
  std::string last_error;
  while (true) {
    try {
      RabbitmqConnection probe({{host_, node.port}}, 0, std::max<Time>(deadline - monotonic_now(), kSecond));
      return;
    } catch (const BackendError& e) {
      last_error = e.what();
    }
    if (node.process->reap() || monotonic_now() >= deadline) {
      throw std::runtime_error("rabbitmq: node " + node.name + " did not start (" + last_error + "); log tail:\n" +
                               file_tail(node.dir / "rabbitmq.log"));
    }
    std::this_thread::sleep_for(kPollPause);
  }
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
    if (running(i)) result.push_back({host_, nodes_[i].port});
  }
  return result;
}

bool RabbitmqLauncher::running(std::uint32_t node) const {
  return node < nodes_.size() && nodes_[node].process && nodes_[node].process->running();
}

std::uint32_t RabbitmqLauncher::leader() {
  if (nodes_.size() == 1) return 0;
  const Time deadline = monotonic_now() + kElectionTimeout;
  std::string last;
  while (monotonic_now() < deadline) {
    for (const Node& asked : nodes_) {
      if (!asked.process || !asked.process->running()) continue;
      std::vector<std::string> argv = {"/usr/bin/env"};
      for (std::string& variable : cli_environment(asked)) argv.push_back(std::move(variable));
      for (const char* word : {kQueues, "quorum_status", RabbitmqLayout::kQueue, "--formatter", "json", "-q"}) {
        argv.emplace_back(word);
      }
      argv.insert(argv.end(), {"-n", asked.name});
      ChildProcess cli(argv, work_dir_ / "rabbitmq-cli.log", true);
      last.clear();
      for (std::string line = cli.read_line(20 * kSecond); !line.empty(); line = cli.read_line(20 * kSecond)) {
        last += line;  // the JSON spans lines
      }
      cli.wait_for_exit(20 * kSecond);
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
  if (!running(node)) return;
  nodes_[node].process->signal(SIGKILL);
  nodes_[node].process->wait_for_exit(10 * kSecond);
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
  for (Node& node : nodes_) node.process.reset();  // SIGKILL and waitpid (ChildProcess)
  epmd_.reset();
}

}  // namespace qlab::live
