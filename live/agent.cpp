#include "agent.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "live/child_process.hpp"
#include "live/json_lines.hpp"
#include "live/live_worker.hpp"

namespace qlab::live {
namespace {

std::atomic<bool> g_agent_stop{false};
extern "C" void on_agent_signal(int) { g_agent_stop.store(true); }

// A run folder name must stay inside the work dir.
std::filesystem::path run_dir(const AgentConfig& config, const nlohmann::json& request) {
  const std::string run = request.at("run").get<std::string>();
  if (run.empty() || run.find('/') != std::string::npos || run.starts_with(".")) {
    throw std::invalid_argument("bad run folder name '" + run + "'");
  }
  return std::filesystem::path(config.work_dir) / run;
}

std::string plain_name(const nlohmann::json& value) {
  const std::string name = value.get<std::string>();
  if (name.empty() || name.find('/') != std::string::npos || name.starts_with(".")) {
    throw std::invalid_argument("bad file name '" + name + "'");
  }
  return name;
}

// One coordinator's session: its requests, its children.
void serve(const AgentConfig& config, JsonLineSocket& socket) {
  std::map<std::uint64_t, std::unique_ptr<ChildProcess>> children;
  std::uint64_t next_id = 1;
  while (!g_agent_stop.load()) {
    nlohmann::json request;
    try {
      request = socket.receive(500 * kMillisecond);
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("in time") != std::string::npos) continue;
      break;  // the coordinator went away: the children go with it (their destructors kill them)
    }
    nlohmann::json reply = {{"ok", true}};
    try {
      const std::string op = request.at("op").get<std::string>();
      if (op == "hello") {
        reply["work_dir"] = config.work_dir;
        reply["now"] = monotonic_now();
      } else if (op == "clock") {
        reply["now"] = monotonic_now();
      } else if (op == "prepare") {
        const auto dir = run_dir(config, request);
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
      } else if (op == "put") {
        const auto file = run_dir(config, request) / plain_name(request.at("name"));
        std::ofstream(file) << request.at("content").get<std::string>();
        reply["path"] = file.string();
      } else if (op == "spawn") {
        std::vector<std::string> argv = {config.binary};
        for (const auto& a : request.at("args")) argv.push_back(a.get<std::string>());
        const bool first_line = request.value("first_line", false);
        auto child = std::make_unique<ChildProcess>(argv, run_dir(config, request) / plain_name(request.at("log")),
                                                    first_line);
        if (first_line) reply["line"] = child->read_line(10 * kSecond);
        reply["started"] = child->started();
        reply["id"] = next_id;
        children[next_id++] = std::move(child);
      } else if (op == "signal" || op == "status") {
        const auto it = children.find(request.at("id").get<std::uint64_t>());
        if (it == children.end()) throw std::invalid_argument("no such process");
        if (op == "signal") {
          it->second->signal(request.at("signal").get<int>());
        } else {
          const bool exited = it->second->reap();
          reply["running"] = !exited;
          reply["exit_code"] = it->second->exit_code();
          reply["ended"] = it->second->ended();
        }
      } else if (op == "fetch") {
        const std::string suffix = request.at("suffix").get<std::string>();
        nlohmann::json files = nlohmann::json::object();
        for (const auto& entry : std::filesystem::directory_iterator(run_dir(config, request))) {
          const std::string name = entry.path().filename().string();
          if (!name.ends_with(suffix)) continue;
          std::ifstream in(entry.path());
          std::stringstream text;
          text << in.rdbuf();
          files[name] = text.str();
        }
        reply["files"] = files;
      } else {
        throw std::invalid_argument("unknown op '" + op + "'");
      }
    } catch (const std::exception& e) {
      reply = {{"ok", false}, {"error", e.what()}};
    }
    socket.send(reply);
  }
  std::size_t running = 0;
  for (auto& [id, child] : children) running += child->reap() ? 0 : 1;
  if (config.log && running > 0) {
    config.log("coordinator gone: stopping " + std::to_string(running) + " process(es) it started");
  }
}

}  // namespace

void run_agent(const AgentConfig& config) {
  std::filesystem::create_directories(config.work_dir);
  std::uint16_t port = 0;
  const int listener = listen_tcp(config.address, config.port, port);
  struct sigaction action {};
  action.sa_handler = on_agent_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  if (config.on_listening) config.on_listening(port);
  while (!g_agent_stop.load()) {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 500) <= 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (config.log) config.log("coordinator connected");
    JsonLineSocket socket(fd);
    serve(config, socket);
    if (config.log) config.log("coordinator disconnected");
  }
  ::close(listener);
}

}  // namespace qlab::live
