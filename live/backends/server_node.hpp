#pragma once
// One server process of a back end on the host its placement names (this machine or a `qlab agent`): its data
// folder `run/NAME` and its log `run/NAME.log` on that host. Started through the Host, so an agent starts it,
// SIGKILLs it and reaps it there; made ready by probing it from the coordinator over the network; killed and
// started again with a new command line on the same ports and data folder.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"
#include "live/backends/broker_launcher.hpp"
#include "live/process_host.hpp"

namespace qlab::live {

class ServerNode {
 public:
  // `program`: the server's executable name, looked up on the host's PATH ("" for qlab itself). Creates the
  // data folder.
  ServerNode(Host& host, std::string run, std::string name, std::string program);
  ~ServerNode() { stop(); }
  ServerNode(const ServerNode&) = delete;
  ServerNode& operator=(const ServerNode&) = delete;

  Host& host() const { return host_; }
  const std::string& name() const { return name_; }
  const std::string& data_dir() const { return data_dir_; }
  // Starts the server with `args` and `env` (after killing the process a previous spawn started).
  void spawn(const std::vector<std::string>& args, const Environment& env = {});
  // Polls `ready` until it returns true; throws std::runtime_error with the log's tail when the process exits
  // or, killing it, when `deadline` passes.
  void wait_ready(const std::function<bool()>& ready, Time deadline);
  // SIGKILL, reaped on its host; a no-op when not running. Throws when an agent cannot be reached.
  void kill();
  // kill() that never throws (an agent that is gone took its processes with it).
  void stop() noexcept;
  bool running();
  // The last lines of the node's log, fetched from its host, for error messages.
  std::string log_tail(std::size_t lines = 10) const;

 private:
  Host& host_;
  std::string run_;
  std::string name_;
  std::string program_;
  std::string data_dir_;
  std::unique_ptr<Process> process_;
};

// The hosts a launcher's nodes run on: plan.hosts, node i on hosts[i mod size], folders in plan.run; without
// hosts, this machine with the folders directly below plan.work_dir.
class NodeHosts {
 public:
  explicit NodeHosts(const LaunchPlan& plan);
  Host& at(std::uint32_t node) const { return *hosts_[node % hosts_.size()]; }
  const std::string& run() const { return run_; }

 private:
  std::unique_ptr<Host> own_;
  std::vector<Host*> hosts_;
  std::string run_;
};

// The last `lines` lines of `text`, indented, for error messages.
std::string last_lines(const std::string& text, std::size_t lines = 10);
// True when a TCP connection to `endpoint` succeeds.
bool accepts_connections(const Endpoint& endpoint);
// The first line `argv` prints on stdout or stderr on this machine (e.g. `redis-server --version`), "" when
// it cannot run.
std::string first_output_line(const std::vector<std::string>& argv);

}  // namespace qlab::live
