#pragma once
// The interface the coordinator uses to run a broker back end: private server processes on free ports of the
// hosts the placement names (this machine or `qlab agent`s), data folders inside the run's folder there,
// started, made ready, killed and restarted node by node, and always stopped by pid (and reaped on their
// host) at the end, also when the run fails.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/scenario.hpp"
#include "core/time.hpp"
#include "live/backends/broker_client.hpp"

namespace qlab::live {

class Host;

struct LaunchPlan {
  // Where the nodes run: node i on hosts[i mod size], in the folder `run` there, listening on the host's
  // address. Without hosts: this machine, every node's data folder and log below work_dir, on bind_host.
  std::vector<Host*> hosts;
  std::string run;
  std::filesystem::path work_dir;
  std::uint32_t nodes = 1;              // a cluster when > 1 (replicated designs)
  std::string bind_host = "127.0.0.1";  // an address the clients can reach
  QueueSpec queue;                      // the scenario's design and its parameters (time-scaled)
  nlohmann::json backend_options = nlohmann::json::object();
  std::string qlab_binary;              // the qlab back end starts `qlab broker` from this executable
};

class BrokerLauncher {
 public:
  virtual ~BrokerLauncher() = default;
  // Starts every node, waits until the back end answers (at most `timeout`), and declares what the scenario
  // needs (streams, consumer groups, queues). Throws std::runtime_error with the server log's tail.
  virtual void start(const LaunchPlan& plan, Time timeout) = 0;
  virtual std::vector<Endpoint> endpoints() const = 0;
  virtual std::uint32_t node_count() const = 0;
  // The node that leads now (the target of a `leader` fault); asks the back end where it can tell.
  virtual std::uint32_t leader() = 0;
  // SIGKILL of one node's process (reaped); its data folder stays.
  virtual void kill(std::uint32_t node) = 0;
  // Starts a killed node again on its own data folder and port; returns once it accepts connections.
  virtual void restart(std::uint32_t node, Time timeout) = 0;
  // Whether node's server process still runs (reaps it when it has exited): a node that dies when no fault
  // killed it ends a live run.
  virtual bool alive(std::uint32_t node) = 0;
  // Stops every node still running, by pid, and reaps it. Never throws; safe to call twice.
  virtual void stop_all() noexcept = 0;
  // The server's version as it reports it (e.g. "nats-server 2.9.10").
  virtual std::string version() const = 0;
  // How many dead letters (messages moved aside at max_receives) the back end holds now, asked from the
  // running server; nullopt where it cannot tell.
  virtual std::optional<std::uint64_t> dead_letters() { return std::nullopt; }
  // How many messages the queue still holds (waiting or handed out and not yet acked), asked from the running
  // server; nullopt where it cannot tell.
  virtual std::optional<std::uint64_t> held() { return std::nullopt; }
};

}  // namespace qlab::live
