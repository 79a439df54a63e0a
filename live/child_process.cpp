#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <thread>

#include "live/steady_clock.hpp"

extern char** environ;

namespace qlab::live {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log, bool pipe_stdout,
                           const Environment& env) {
  int out[2] = {-1, -1};
  if (pipe_stdout && ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (pipe_stdout) {
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> variables;
  for (char** v = environ; *v != nullptr; ++v) {
    const std::string_view entry(*v);
    if (!env.contains(std::string(entry.substr(0, entry.find('='))))) variables.emplace_back(entry);
  }
  for (const auto& [name, value] : env) {
    if (!value.empty()) variables.push_back(name + "=" + value);
  }
  std::vector<char*> envp;
  for (std::string& v : variables) envp.push_back(v.data());
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_stdout) ::close(out[1]);
  if (rc != 0) {
    if (pipe_stdout) ::close(out[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  stdout_ = out[0];
  started_ = monotonic_now();
}

ChildProcess::~ChildProcess() {
  if (running()) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stdout_ >= 0) ::close(stdout_);
}

void ChildProcess::signal(int sig) const {
  if (running()) ::kill(pid_, sig);
}

bool ChildProcess::reap() {
  if (exited_) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  exited_ = true;
  ended_ = monotonic_now();
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

bool ChildProcess::wait_for_exit(Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  while (!reap()) {
    if (monotonic_now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

std::string ChildProcess::read_line(Time timeout) {
  std::string line;
  const Time deadline = monotonic_now() + timeout;
  while (line.empty() || line.back() != '\n') {
    const Time left = deadline - monotonic_now();
    if (left <= 0) return "";
    pollfd p{stdout_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left / kMillisecond) + 1) <= 0) continue;
    char c = 0;
    if (::read(stdout_, &c, 1) != 1) return "";
    line.push_back(c);
  }
  return line;
}

}  // namespace qlab::live
