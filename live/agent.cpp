#include "agent.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#include "live/child_process.hpp"
#include "live/json_lines.hpp"
#include "live/live_worker.hpp"
#include "live/process_host.hpp"
#include "live/server_order.hpp"
#include "live/shared_secret.hpp"

namespace qlab::live {
namespace {

std::atomic<bool> g_agent_stop{false};
extern "C" void on_agent_signal(int) { g_agent_stop.store(true); }

constexpr Time kAuthTimeout = 10 * kSecond;  // a connection must authenticate within this
constexpr std::size_t kMaxRequest = 64u << 20;  // bytes of one request line (a "put" carries a scenario)

// The subcommands an order may start, and their flags whose values are paths.
const std::set<std::string> kCommands = {"broker", "live-worker", "fault-proxy"};
const std::set<std::string> kPathFlags = {"--scenario", "--records", "--slow-file", "--token-file", "--out",
                                          "--work-dir", "--secret-file"};

// A run folder name must stay inside the work dir.
std::filesystem::path run_dir(const AgentConfig& config, const nlohmann::json& request) {
  const std::string run = request.at("run").get<std::string>();
  if (run.empty() || run.find('/') != std::string::npos || run.starts_with(".")) {
    throw std::invalid_argument("bad run folder name '" + run + "'");
  }
  return confined_path(config.work_dir, run);
}

// The arguments of a spawn order: a subcommand the agent runs, paths inside the work folder.
std::vector<std::string> checked_arguments(const AgentConfig& config, const nlohmann::json& args) {
  std::vector<std::string> out;
  for (const auto& a : args) out.push_back(a.get<std::string>());
  if (out.empty() || !kCommands.contains(out[0])) {
    throw std::invalid_argument("the agent starts only qlab broker, live-worker and fault-proxy");
  }
  for (std::size_t i = 1; i < out.size(); ++i) {
    const std::string& arg = out[i];
    std::string flag = out[i - 1];
    std::string value = arg;
    if (arg.starts_with("--")) {
      const std::size_t eq = arg.find('=');
      if (eq == std::string::npos) continue;  // a flag: its value is the next argument
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const bool path = kPathFlags.contains(flag);
    if (path && !std::filesystem::path(value).is_absolute()) {
      throw std::invalid_argument(flag + " " + value + ": a path in an order must be absolute");
    }
    if (path || value.starts_with("/") || value.find("..") != std::string::npos) confined_path(config.work_dir, value);
  }
  return out;
}

// The variables a spawn order sets: QLAB_* only (never one that changes how a process loads, such as
// LD_PRELOAD), and never the agent's own secret.
Environment checked_environment(const nlohmann::json& request) {
  Environment env;
  if (request.contains("env")) {
    for (const auto& [name, value] : request.at("env").items()) {
      if (!name.starts_with("QLAB_") || name == kSecretVariable) {
        throw std::invalid_argument("environment variable '" + name + "': an order may set QLAB_* variables only");
      }
      env[name] = value.get<std::string>();
    }
  }
  env[kSecretVariable] = "";
  return env;
}

bool is_loopback(const std::string& address) {
  in_addr a{};
  return ::inet_pton(AF_INET, address.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
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
  bool authenticated = config.secret.empty();
  std::string coordinator_nonce;
  std::string agent_nonce;
  const Time auth_deadline = monotonic_now() + kAuthTimeout;
  while (!g_agent_stop.load()) {
    nlohmann::json request;
    try {
      request = socket.receive(500 * kMillisecond);
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()).find("in time") != std::string::npos) {
        if (authenticated || monotonic_now() < auth_deadline) continue;
        if (config.log) config.log("no authentication within 10 s; closing the connection");
      }
      break;  // the coordinator went away: the children go with it (their destructors kill them)
    } catch (const std::exception& e) {
      if (config.log) config.log(std::string("unreadable request (") + e.what() + "); closing the connection");
      break;
    }
    nlohmann::json reply = {{"ok", true}};
    bool close = false;
    try {
      const std::string op = request.at("op").get<std::string>();
      if (op == "auth") {
        coordinator_nonce = request.at("nonce").get<std::string>();
        if (coordinator_nonce.size() < 16 || coordinator_nonce.size() > 128) throw std::invalid_argument("bad nonce");
        reply["auth"] = !config.secret.empty();
        if (!config.secret.empty()) {
          agent_nonce = random_hex(16);
          reply["nonce"] = agent_nonce;
          reply["proof"] = agent_proof(config.secret, coordinator_nonce, agent_nonce);
        }
      } else if (op == "auth_proof" && !authenticated) {
        const bool proven = !agent_nonce.empty() &&
                            equal_in_constant_time(request.at("proof").get<std::string>(),
                                                   coordinator_proof(config.secret, coordinator_nonce, agent_nonce));
        agent_nonce.clear();  // one attempt per challenge
        if (!proven) {
          close = true;
          throw std::invalid_argument("authentication failed");
        }
        authenticated = true;
      } else if (!authenticated) {
        close = true;
        throw std::invalid_argument("authentication required: this agent has a shared secret (give the coordinator "
                                    "the same one: QLAB_SECRET)");
      } else if (op == "hello") {
        reply["work_dir"] = config.work_dir;
        reply["now"] = monotonic_now();
      } else if (op == "clock") {
        reply["now"] = monotonic_now();
      } else if (op == "prepare") {
        const auto dir = run_dir(config, request);
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
      } else if (op == "put") {
        const auto file = confined_path(run_dir(config, request), plain_name(request.at("name")));
        std::ofstream(file) << request.at("content").get<std::string>();
        reply["path"] = file.string();
      } else if (op == "mkdir") {
        const auto dir = confined_path(run_dir(config, request), plain_name(request.at("name")));
        std::filesystem::create_directories(dir);
        reply["path"] = dir.string();
      } else if (op == "cookie") {
        const std::string cookie = request.at("cookie").get<std::string>();
        if (!is_erlang_cookie(cookie)) throw std::invalid_argument("an Erlang cookie is 16 to 255 letters and digits");
        const auto dir = confined_path(run_dir(config, request), plain_name(request.at("dir")));
        std::filesystem::create_directories(dir);
        write_erlang_cookie(dir / ".erlang.cookie", cookie);
      } else if (op == "free_port") {
        reply["port"] = free_tcp_port(config.address);
      } else if (op == "spawn" && request.contains("program")) {
        const std::string program = request.at("program").get<std::string>();
        ServerOrder order = checked_server_order(config.work_dir, config.address, program, request.at("args"),
                                                 request.value("env", nlohmann::json()));
        order.env[kSecretVariable] = "";
        auto child = std::make_unique<ChildProcess>(
            order.argv, confined_path(run_dir(config, request), plain_name(request.at("log"))), false, order.env);
        if (config.log) config.log("started " + program + " (pid " + std::to_string(child->pid()) + ")");
        reply["started"] = child->started();
        reply["id"] = next_id;
        children[next_id++] = std::move(child);
      } else if (op == "spawn") {
        std::vector<std::string> argv = {config.binary};
        for (std::string& a : checked_arguments(config, request.at("args"))) argv.push_back(std::move(a));
        const bool first_line = request.value("first_line", false);
        auto child = std::make_unique<ChildProcess>(
            argv, confined_path(run_dir(config, request), plain_name(request.at("log"))), first_line,
            checked_environment(request));
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
        const auto dir = run_dir(config, request);
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
          const std::string name = entry.path().filename().string();
          if (!name.ends_with(suffix) || !entry.is_regular_file() || entry.is_symlink()) continue;
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
      if (close && config.log) config.log(std::string(e.what()) + "; closing the connection");
    }
    socket.send(reply);
    if (close) break;
  }
  std::size_t running = 0;
  for (auto& [id, child] : children) running += child->reap() ? 0 : 1;
  if (config.log && running > 0) {
    config.log("coordinator gone: stopping " + std::to_string(running) + " process(es) it started");
  }
}

}  // namespace

std::filesystem::path confined_path(const std::filesystem::path& root, const std::string& path) {
  const std::filesystem::path given(path);
  for (const auto& part : given) {
    if (part == "..") throw std::invalid_argument("path '" + path + "': '..' is not allowed");
  }
  const std::filesystem::path base = std::filesystem::weakly_canonical(root);
  const std::filesystem::path full = std::filesystem::weakly_canonical(given.is_absolute() ? given : base / given);
  const auto [in_base, in_full] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (in_base != base.end() && !(std::next(in_base) == base.end() && in_base->empty())) {
    throw std::invalid_argument("path '" + path + "' is outside the agent's work folder " + base.string());
  }
  return full;
}

std::string agent_proof(const std::string& secret, const std::string& coordinator_nonce, const std::string& agent_nonce) {
  return hmac_sha256_hex(secret, "qlab agent " + coordinator_nonce + " " + agent_nonce);
}

std::string coordinator_proof(const std::string& secret, const std::string& coordinator_nonce,
                              const std::string& agent_nonce) {
  return hmac_sha256_hex(secret, "qlab coordinator " + agent_nonce + " " + coordinator_nonce);
}

void run_agent(const AgentConfig& config) {
  if (config.secret.empty() && !is_loopback(config.address)) {
    throw std::invalid_argument("qlab agent on " + config.address +
                                ", not a loopback address, needs a shared secret: --secret-file FILE or QLAB_SECRET");
  }
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
    socket.limit_line(kMaxRequest);
    try {
      serve(config, socket);
    } catch (const std::exception& e) {  // the connection failed while replying
      if (config.log) config.log(std::string("connection failed: ") + e.what());
    }
    if (config.log) config.log("coordinator disconnected");
  }
  ::close(listener);
}

}  // namespace qlab::live
