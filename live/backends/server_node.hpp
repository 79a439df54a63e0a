#pragma once
// One server process of a back end on this machine: its command line, the port it listens on and its log.
// Started with ChildProcess (so it is SIGKILLed and reaped by pid when the node goes), made ready by
// connecting until it answers, killed with SIGKILL and started again with the same command line (the same
// port and data folder).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"
#include "live/backends/local_server.hpp"
#include "live/child_process.hpp"

namespace qlab::live {

class ServerNode {
 public:
  // `ready` is asked repeatedly until it returns true (e.g. a PING answered); by default, a TCP connection
  // to the endpoint succeeding is enough.
  ServerNode(std::vector<std::string> argv, std::filesystem::path log, Endpoint endpoint,
             std::function<bool(const Endpoint&)> ready = {});

  // Spawns the process and waits until it is ready; throws std::runtime_error with the log's tail when it
  // exits or is not ready within `timeout`.
  void start(Time timeout);
  // SIGKILL and reap; a no-op when not running.
  void kill();
  bool running();
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  std::vector<std::string> argv_;
  std::filesystem::path log_;
  Endpoint endpoint_;
  std::function<bool(const Endpoint&)> ready_;
  std::unique_ptr<ChildProcess> process_;
};

// True when a TCP connection to `endpoint` succeeds.
bool accepts_connections(const Endpoint& endpoint);
// The first line `argv` prints on stdout or stderr (e.g. `redis-server --version`), "" when it cannot run.
std::string first_output_line(const std::vector<std::string>& argv);
// The last `lines` lines of a log file, for error messages.
std::string log_tail(const std::filesystem::path& log, std::size_t lines = 10);

}  // namespace qlab::live
