#include "process_host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <random>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "live/agent.hpp"
#include "live/child_process.hpp"
#include "live/live_worker.hpp"

namespace qlab::live {
namespace {

class LocalProcess final : public Process {
 public:
  LocalProcess(std::unique_ptr<ChildProcess> child, std::string line) : child_(std::move(child)), line_(std::move(line)) {}
  bool running() override { return !child_->reap(); }
  void signal(int sig) override { child_->signal(sig); }
  bool wait_for_exit(Time timeout) override { return child_->wait_for_exit(timeout); }
  Time started() const override { return child_->started(); }
  Time ended() const override { return child_->ended(); }
  int exit_code() const override { return child_->exit_code(); }
  const std::string& first_line() const override { return line_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  std::string line_;
};

class LocalHost final : public Host {
 public:
  LocalHost(std::string root, std::string binary, std::string address)
      : root_(std::move(root)), binary_(std::move(binary)), address_(std::move(address)) {}
  const std::string& name() const override { return name_; }
  const std::string& address() const override { return address_; }
  Time offset() const override { return 0; }
  Time rtt() const override { return 0; }
  void prepare(const std::string& run) override {
    std::filesystem::remove_all(root_ / run);
    std::filesystem::create_directories(root_ / run);
  }
  std::string put(const std::string& run, const std::string& name, const std::string& content) override {
    std::ofstream(root_ / run / name) << content;
    return path(run, name);
  }
  std::string path(const std::string& run, const std::string& name) const override { return (root_ / run / name).string(); }
  std::unique_ptr<Process> spawn(const std::string& run, const std::vector<std::string>& args, const std::string& log,
                                 bool first_line, const Environment& env) override {
    std::vector<std::string> argv = {binary_};
    argv.insert(argv.end(), args.begin(), args.end());
    Environment child_env = env;
    child_env[kSecretVariable] = "";  // the processes need the token at most, never the agents' secret
    auto child = std::make_unique<ChildProcess>(argv, root_ / run / log, first_line, child_env);
    std::string line = first_line ? child->read_line(10 * kSecond) : std::string();
    return std::make_unique<LocalProcess>(std::move(child), std::move(line));
  }
  std::unique_ptr<Process> start_server(const std::string& run, const std::string& program,
                                        const std::vector<std::string>& args, const std::string& log,
                                        const Environment& env) override {
    const std::string binary = server_executable(program);
    if (binary.empty()) throw std::runtime_error(program + " is not installed on this machine");
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), args.begin(), args.end());
    Environment child_env = env;
    child_env[kSecretVariable] = "";
    auto child = std::make_unique<ChildProcess>(argv, root_ / run / log, false, child_env);
    return std::make_unique<LocalProcess>(std::move(child), std::string());
  }
  void put_erlang_cookie(const std::string& run, const std::string& dir, const std::string& cookie) override {
    write_erlang_cookie(root_ / run / dir / ".erlang.cookie", cookie);
  }
  std::uint16_t free_port() override { return free_tcp_port(address_); }
  std::string make_dir(const std::string& run, const std::string& name) override {
    std::filesystem::create_directories(root_ / run / name);
    return path(run, name);
  }
  std::vector<std::pair<std::string, std::string>> fetch(const std::string& run, const std::string& suffix) override {
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& entry : std::filesystem::directory_iterator(root_ / run)) {
      if (!entry.is_regular_file()) continue;
      const std::string file = entry.path().filename().string();
      if (!file.ends_with(suffix)) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      files.emplace_back(file, text.str());
    }
    return files;
  }

 private:
  std::filesystem::path root_;
  std::string binary_;
  std::string name_ = "local";
  std::string address_;
};

class AgentHost;

class AgentProcess final : public Process {
 public:
  AgentProcess(AgentHost& host, std::uint64_t id, Time started, std::string line)
      : host_(host), id_(id), started_(started), line_(std::move(line)) {}
  bool running() override;
  void signal(int sig) override;
  bool wait_for_exit(Time timeout) override {
    const Time deadline = monotonic_now() + timeout;
    while (running()) {
      if (monotonic_now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  Time started() const override { return started_; }
  Time ended() const override { return ended_; }
  int exit_code() const override { return exit_code_; }
  const std::string& first_line() const override { return line_; }

 private:
  AgentHost& host_;
  std::uint64_t id_;
  Time started_;
  Time ended_ = 0;
  int exit_code_ = 0;
  bool exited_ = false;
  std::string line_;
};

class AgentHost final : public Host {
 public:
  AgentHost(std::string name, const std::string& host, std::uint16_t port, const std::string& secret)
      : name_(std::move(name)), address_(host), socket_(JsonLineSocket::connect(host, port)) {
    authenticate(secret, host + ":" + std::to_string(port));
    socket_.call({{"op", "hello"}});
    remeasure_offset();
  }
  // Cristian's algorithm: the fastest of several round trips bounds the offset's error by half its RTT.
  void remeasure_offset() override {
    Time best = kNever;
    Time offset = 0;
    Time remote_at = 0;
    for (int i = 0; i < 8; ++i) {
      const Time before = monotonic_now();
      const Time remote = socket_.call({{"op", "clock"}})["now"].get<Time>();
      const Time after = monotonic_now();
      if (after - before < best) {
        best = after - before;
        offset = before + (after - before) / 2 - remote;
        remote_at = remote;
      }
    }
    if (samples_.empty()) rtt_ = best;
    offset_ = offset;
    samples_.emplace_back(remote_at, offset);
    max_correction_ = std::max(max_correction_, std::abs(offset - samples_.front().second));
  }
  Time to_coordinator(Time host_time) const override {
    // Linear between the measurements around host_time; the nearest one outside them.
    const auto after = std::lower_bound(samples_.begin(), samples_.end(), std::pair<Time, Time>{host_time, kNever},
                                        [](const auto& a, const auto& b) { return a.first < b.first; });
    if (after == samples_.begin()) return host_time + samples_.front().second;
    if (after == samples_.end()) return host_time + samples_.back().second;
    const auto before = std::prev(after);
    const double f = static_cast<double>(host_time - before->first) / static_cast<double>(after->first - before->first);
    return host_time + before->second + static_cast<Time>(f * static_cast<double>(after->second - before->second));
  }
  Time max_correction() const override { return max_correction_; }
  const std::string& name() const override { return name_; }
  const std::string& address() const override { return address_; }
  Time offset() const override { return offset_; }
  Time rtt() const override { return rtt_; }
  void prepare(const std::string& run) override { socket_.call({{"op", "prepare"}, {"run", run}}); }
  std::string put(const std::string& run, const std::string& name, const std::string& content) override {
    return socket_.call({{"op", "put"}, {"run", run}, {"name", name}, {"content", content}})["path"];
  }
  std::string path(const std::string& run, const std::string& name) const override {
    return work_dir() + "/" + run + "/" + name;
  }
  std::unique_ptr<Process> spawn(const std::string& run, const std::vector<std::string>& args, const std::string& log,
                                 bool first_line, const Environment& env) override {
    const nlohmann::json reply = socket_.call(
        {{"op", "spawn"}, {"run", run}, {"args", args}, {"log", log}, {"first_line", first_line}, {"env", env}},
        30 * kSecond);
    return std::make_unique<AgentProcess>(*this, reply["id"].get<std::uint64_t>(), reply["started"].get<Time>() + offset_,
                                          reply.value("line", std::string()));
  }
  std::vector<std::pair<std::string, std::string>> fetch(const std::string& run, const std::string& suffix) override {
    const nlohmann::json reply = socket_.call({{"op", "fetch"}, {"run", run}, {"suffix", suffix}}, 120 * kSecond);
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& [file, content] : reply["files"].items()) files.emplace_back(file, content.get<std::string>());
    return files;
  }
  std::unique_ptr<Process> start_server(const std::string& run, const std::string& program,
                                        const std::vector<std::string>& args, const std::string& log,
                                        const Environment& env) override {
    const nlohmann::json reply = socket_.call(
        {{"op", "spawn"}, {"run", run}, {"program", program}, {"args", args}, {"log", log}, {"env", env}},
        30 * kSecond);
    return std::make_unique<AgentProcess>(*this, reply["id"].get<std::uint64_t>(), reply["started"].get<Time>() + offset_,
                                          std::string());
  }
  void put_erlang_cookie(const std::string& run, const std::string& dir, const std::string& cookie) override {
    socket_.call({{"op", "cookie"}, {"run", run}, {"dir", dir}, {"cookie", cookie}});
  }
  std::uint16_t free_port() override { return socket_.call({{"op", "free_port"}})["port"].get<std::uint16_t>(); }
  std::string make_dir(const std::string& run, const std::string& name) override {
    return socket_.call({{"op", "mkdir"}, {"run", run}, {"name", name}})["path"];
  }
  nlohmann::json call(const nlohmann::json& request) { return socket_.call(request); }

 private:
  // Challenge-response both ways (docs/SECURITY.md): the agent proves it knows the secret for our nonce,
  // then we prove it for the agent's.
  void authenticate(const std::string& secret, const std::string& where) {
    const std::string nonce = random_hex(16);
    const nlohmann::json reply = socket_.call({{"op", "auth"}, {"nonce", nonce}});
    const std::string agent_nonce = reply.value("nonce", std::string());
    if (!reply.value("auth", false)) {
      if (secret.empty()) return;  // neither side has a secret: an agent on loopback
      throw std::runtime_error("agent " + name_ + " at " + where +
                               " has no shared secret: refusing an agent that cannot authenticate itself");
    }
    if (secret.empty()) {
      throw std::runtime_error("agent " + name_ + " at " + where +
                               " requires the shared secret: give it to the coordinator too (QLAB_SECRET)");
    }
    if (!equal_in_constant_time(reply.value("proof", std::string()), agent_proof(secret, nonce, agent_nonce))) {
      throw std::runtime_error("agent " + name_ + " at " + where + ": authentication failed (it does not know the secret)");
    }
    socket_.call({{"op", "auth_proof"}, {"proof", coordinator_proof(secret, nonce, agent_nonce)}});
  }

  std::string work_dir() const {
    if (work_dir_.empty()) work_dir_ = const_cast<JsonLineSocket&>(socket_).call({{"op", "hello"}})["work_dir"];
    return work_dir_;
  }
  std::string name_;
  std::string address_;
  JsonLineSocket socket_;
  Time offset_ = 0;
  Time rtt_ = 0;
  std::vector<std::pair<Time, Time>> samples_;  // (host clock, offset) of every measurement, in time order
  Time max_correction_ = 0;
  mutable std::string work_dir_;
};

bool AgentProcess::running() {
  if (exited_) return false;
  const nlohmann::json reply = host_.call({{"op", "status"}, {"id", id_}});
  if (reply["running"].get<bool>()) return true;
  exited_ = true;
  exit_code_ = reply["exit_code"].get<int>();
  ended_ = reply["ended"].get<Time>() + host_.offset();
  return false;
}

void AgentProcess::signal(int sig) {
  if (!exited_) host_.call({{"op", "signal"}, {"id", id_}, {"signal", sig}});
}

}  // namespace

std::unique_ptr<Host> make_local_host(std::string root, std::string binary, std::string address) {
  return std::make_unique<LocalHost>(std::move(root), std::move(binary), std::move(address));
}

std::unique_ptr<Host> make_agent_host(std::string name, const std::string& host, std::uint16_t port, std::string secret) {
  return std::make_unique<AgentHost>(std::move(name), host, port, secret);
}

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(std::string(path != nullptr ? path : "") + ":/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string server_executable(const std::string& program) {
  if (program.starts_with("rabbitmq-") && program.find('/') == std::string::npos) {
    const std::string binary = "/usr/lib/rabbitmq/bin/" + program;
    return ::access(binary.c_str(), X_OK) == 0 ? binary : "";
  }
  return find_executable(program);
}

void write_erlang_cookie(const std::filesystem::path& file, const std::string& cookie) {
  std::filesystem::remove(file);  // an earlier one is read-only
  // Created owner-read-only: never readable by others, not even for a moment.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
  const bool ok = fd >= 0 && ::write(fd, cookie.data(), cookie.size()) == static_cast<ssize_t>(cookie.size());
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + file.string());
}

std::uint16_t free_tcp_port(const std::string& address) {
  // A port the kernel hands out for bind(0) is in its ephemeral range, where any client's connect() may take
  // it again before the server binds it (seen: a RabbitMQ node failing with eaddrinuse beside other tests).
  constexpr std::uint16_t kLowest = 10000;
  constexpr std::uint16_t kHighest = 32767;
  constexpr int kAttempts = 500;
  sockaddr_in socket_address{};
  socket_address.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &socket_address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address to listen on: " + address);
  }
  static thread_local std::mt19937 draw{std::random_device{}()};
  std::uniform_int_distribution<int> port(kLowest, kHighest);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    socket_address.sin_port = htons(static_cast<std::uint16_t>(port(draw)));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&socket_address), sizeof socket_address) == 0;
    ::close(fd);
    if (free) return ntohs(socket_address.sin_port);
  }
  throw std::runtime_error("no free port on " + address + " from " + std::to_string(kLowest) + " to " +
                           std::to_string(kHighest));
}

}  // namespace qlab::live
