#include "live/backends/server_node.hpp"

#include <signal.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "live/child_process.hpp"
#include "live/steady_clock.hpp"
#include "live/tcp_connect.hpp"

namespace qlab::live {

ServerNode::ServerNode(Host& host, std::string run, std::string name, std::string program)
    : host_(host), run_(std::move(run)), name_(std::move(name)), program_(std::move(program)) {
  data_dir_ = host_.make_dir(run_, name_);
}

void ServerNode::spawn(const std::vector<std::string>& args, const Environment& env) {
  kill();
  try {
    process_ = program_.empty() ? host_.spawn(run_, args, name_ + ".log", false, env)
                                : host_.start_server(run_, program_, args, name_ + ".log", env);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("cannot start node " + name_ + " on host " + host_.name() + ": " + e.what());
  }
}

void ServerNode::wait_ready(const std::function<bool()>& ready, Time deadline) {
  const std::string what = (program_.empty() ? "qlab" : program_) + " " + name_ + " on " + host_.name();
  for (;;) {
    if (!process_->running()) {
      throw std::runtime_error(what + " exited with status " + std::to_string(process_->exit_code()) +
                               "; the end of its log:\n" + log_tail());
    }
    if (ready()) return;
    if (monotonic_now() > deadline) {
      kill();
      throw std::runtime_error(what + " is not ready in time; the end of its log:\n" + log_tail());
    }
    // Servers here start in tens of milliseconds: a short pause between attempts costs little.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ServerNode::kill() {
  if (process_ && process_->running()) {
    process_->signal(SIGKILL);
    process_->wait_for_exit(10 * kSecond);
  }
  process_.reset();
}

void ServerNode::stop() noexcept {
  try {
    kill();
  } catch (const std::exception&) {
    process_.reset();
  }
}

bool ServerNode::running() { return process_ != nullptr && process_->running(); }

std::string ServerNode::log_tail(std::size_t lines) const {
  try {
    for (const auto& [file, content] : host_.fetch(run_, name_ + ".log")) {
      if (file == name_ + ".log") return last_lines(content, lines);
    }
  } catch (const std::exception& e) {
    return std::string("  (unreadable: ") + e.what() + ")\n";
  }
  return "";
}

std::string last_lines(const std::string& text, std::size_t lines) {
  std::deque<std::string> last;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string tail;
  for (const std::string& line : last) tail += "  " + line + "\n";
  return tail;
}

NodeHosts::NodeHosts(const LaunchPlan& plan) : hosts_(plan.hosts), run_(plan.run) {
  if (hosts_.empty()) {
    own_ = make_local_host(plan.work_dir.string(), plan.qlab_binary, plan.bind_host);
    hosts_ = {own_.get()};
    run_.clear();
  }
}

bool accepts_connections(const Endpoint& endpoint) {
  try {
    ::close(tcp_connect(endpoint.host, endpoint.port));
    return true;
  } catch (const ConnectError&) {
    return false;
  }
}

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

}  // namespace qlab::live
