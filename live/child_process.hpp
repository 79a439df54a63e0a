#pragma once
// A child process of the live coordinator or of an agent: started with posix_spawn, stderr (and stdout,
// unless piped) appended to a log file; killed (SIGCONT, SIGKILL) and reaped when the object goes.
// Times are monotonic_now() values of this host.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace qlab::live {

// Variables set in the child's environment on top of this process's; an empty value removes one.
using Environment = std::map<std::string, std::string>;

class ChildProcess {
 public:
  // Throws std::runtime_error when the process cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log, bool pipe_stdout,
               const Environment& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running() const { return !exited_; }
  pid_t pid() const { return pid_; }
  Time started() const { return started_; }
  Time ended() const { return ended_; }
  int exit_code() const { return exit_code_; }  // 128 + signal when killed
  void signal(int sig) const;
  // Non-blocking: true once the process has exited (then exit_code() and ended() are set).
  bool reap();
  bool wait_for_exit(Time timeout);
  // The first line the child printed on stdout (pipe_stdout only), or "" after `timeout`.
  std::string read_line(Time timeout);

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  Time started_ = 0;
  Time ended_ = 0;
};

}  // namespace qlab::live
