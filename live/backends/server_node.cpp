#include "live/backends/server_node.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "live/steady_clock.hpp"
#include "live/tcp_connect.hpp"

namespace qlab::live {

ServerNode::ServerNode(std::vector<std::string> argv, std::filesystem::path log, Endpoint endpoint,
                       std::function<bool(const Endpoint&)> ready)
    : argv_(std::move(argv)), log_(std::move(log)), endpoint_(std::move(endpoint)), ready_(std::move(ready)) {
  if (!ready_) ready_ = accepts_connections;
}

bool accepts_connections(const Endpoint& endpoint) {
  try {
    ::close(tcp_connect(endpoint.host, endpoint.port));
    return true;
  } catch (const ConnectError&) {
    return false;
  }
}

void ServerNode::start(Time timeout) {
  kill();
  process_ = std::make_unique<ChildProcess>(argv_, log_, false);
  const Time deadline = monotonic_now() + timeout;
  for (;;) {
    if (process_->reap()) {
      throw std::runtime_error(argv_[0] + " exited with status " + std::to_string(process_->exit_code()) +
                               "; the end of " + log_.string() + ":\n" + log_tail(log_));
    }
    if (ready_(endpoint_)) return;
    if (monotonic_now() > deadline) {
      kill();
      throw std::runtime_error(argv_[0] + " is not ready on " + endpoint_.host + ":" + std::to_string(endpoint_.port) +
                               "; the end of " + log_.string() + ":\n" + log_tail(log_));
    }
    // Servers here start in tens of milliseconds: a short pause between attempts costs little.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ServerNode::kill() { process_.reset(); }  // ~ChildProcess: SIGCONT, SIGKILL, waitpid

bool ServerNode::running() { return process_ != nullptr && !process_->reap(); }

std::string first_output_line(const std::vector<std::string>& argv) {
  if (argv.empty() || find_executable(argv[0]).empty()) return "";
  const std::filesystem::path log =
      std::filesystem::temp_directory_path() / ("qlab-version-" + std::to_string(::getpid()) + ".txt");
  std::filesystem::remove(log);
  std::vector<std::string> args = argv;
  args[0] = find_executable(argv[0]);
  try {
    ChildProcess child(args, log, false);
    child.wait_for_exit(5 * kSecond);
  } catch (const std::runtime_error&) {
    return "";
  }
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  std::filesystem::remove(log);
  return line;
}

std::string log_tail(const std::filesystem::path& log, std::size_t lines) {
  std::ifstream in(log);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string text;
  for (const std::string& line : last) text += "  " + line + "\n";
  return text;
}

}  // namespace qlab::live
