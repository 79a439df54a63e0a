#include "live/backends/rabbitmq_launcher.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "live/backends/local_server.hpp"
#include "live/backends/rabbitmq_connection.hpp"
#include "live/live_worker.hpp"

namespace qlab::live {
namespace {

constexpr auto kPollPause = std::chrono::milliseconds(100);  // between two login attempts
constexpr const char* kNode = "qlab@localhost";

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
  if (plan.nodes != 1) throw std::runtime_error("rabbitmq: qlab starts a single RabbitMQ node, not a cluster");
  if (find_executable(kServer).empty()) {
    throw std::runtime_error(std::string("rabbitmq: ") + kServer + " not found (apt-get install rabbitmq-server)");
  }
  const std::string epmd = find_executable("epmd");
  if (epmd.empty()) throw std::runtime_error("rabbitmq: epmd not found (it comes with erlang-base)");
  layout_.emplace(plan.queue, plan.backend_options);
  host_ = plan.bind_host;
  port_ = free_tcp_port(host_);
  dist_port_ = free_tcp_port(host_);
  epmd_port_ = free_tcp_port(host_);
  dir_ = plan.work_dir / "rabbitmq";
  std::filesystem::create_directories(dir_ / "home");
  const std::filesystem::path cookie = dir_ / "home" / ".erlang.cookie";
  if (!std::filesystem::exists(cookie)) write_file(cookie, random_cookie());
  std::filesystem::permissions(cookie, std::filesystem::perms::owner_read);
  write_file(dir_ / "enabled_plugins", "[].\n");
  epmd_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{epmd, "-port", std::to_string(epmd_port_), "-address", host_}, dir_ / "epmd.log",
      false);
  spawn();
  wait_ready(deadline);
}

void RabbitmqLauncher::spawn() {
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
  const std::string dir = dir_.string();
  server_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/env",
                               "HOME=" + dir + "/home",
                               "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
                               std::string("RABBITMQ_NODENAME=") + kNode,
                               "RABBITMQ_NODE_IP_ADDRESS=" + host_,
                               "RABBITMQ_NODE_PORT=" + std::to_string(port_),
                               "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
                               "RABBITMQ_MNESIA_BASE=" + dir + "/data",
                               "RABBITMQ_LOG_BASE=" + dir + "/log",
                               "RABBITMQ_LOGS=-",
                               "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir + "/enabled_plugins",
                               "RABBITMQ_CONF_ENV_FILE=/dev/null",
                               "RABBITMQ_ALLOW_INPUT=true",
                               "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=" + erl_args,
                               kServer},
      dir_ / "rabbitmq.log", false);
}

void RabbitmqLauncher::wait_ready(Time deadline) {
  std::string last_error;
  while (true) {
    try {
      RabbitmqConnection connection({{host_, port_}}, 0, std::max<Time>(deadline - monotonic_now(), kSecond));
      if (!layout_->preassigned()) connection.declare_queue(*layout_, RabbitmqLayout::kQueue);
      connection.declare_queue(*layout_, RabbitmqLayout::kDeadQueue);
      version_ = connection.server_version();
      return;
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw std::runtime_error(e.what());
      last_error = e.what();
    }
    if (server_->reap() || monotonic_now() >= deadline) {
      throw std::runtime_error("rabbitmq: the node did not start (" + last_error + "); log tail:\n" +
                               file_tail(dir_ / "rabbitmq.log"));
    }
    std::this_thread::sleep_for(kPollPause);
  }
}

void RabbitmqLauncher::kill(std::uint32_t) {
  if (!running()) return;
  server_->signal(SIGKILL);
  server_->wait_for_exit(10 * kSecond);
}

void RabbitmqLauncher::restart(std::uint32_t node, Time timeout) {
  if (node != 0) throw std::runtime_error("rabbitmq: no node " + std::to_string(node));
  if (running()) return;
  const Time deadline = monotonic_now() + timeout;
  spawn();
  wait_ready(deadline);
}

void RabbitmqLauncher::stop_all() noexcept {
  server_.reset();  // SIGKILL and waitpid (ChildProcess)
  epmd_.reset();
}

}  // namespace qlab::live
