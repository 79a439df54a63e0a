#pragma once
// Where the live coordinator runs its processes: this machine (LocalHost) or a `qlab agent` on another host
// (AgentHost). Times crossing this interface are in the coordinator's clock: a host measures its clock
// offset when it connects (the midpoint of the fastest of several round trips), and converts.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "live/child_process.hpp"
#include "live/json_lines.hpp"
#include "live/shared_secret.hpp"

namespace qlab::live {

class Process {
 public:
  virtual ~Process() = default;
  virtual bool running() = 0;  // polls (reaps an exited process)
  virtual void signal(int sig) = 0;
  virtual bool wait_for_exit(Time timeout) = 0;
  virtual Time started() const = 0;  // coordinator clock
  virtual Time ended() const = 0;    // coordinator clock; valid once !running()
  virtual int exit_code() const = 0;
  virtual const std::string& first_line() const = 0;  // stdout's first line, when spawn asked for it
};

class Host {
 public:
  virtual ~Host() = default;
  virtual const std::string& name() const = 0;
  // The address the host's services (the broker) listen on and clients dial.
  virtual const std::string& address() const = 0;
  // Coordinator clock - host clock (0 for this machine).
  virtual Time offset() const = 0;
  virtual Time rtt() const = 0;  // of the offset measurement
  // Measures the offset again (clocks drift); the offset becomes the new one, and to_coordinator() interpolates
  // between all measurements.
  virtual void remeasure_offset() {}
  // `host_time` (the host's steady clock) on the coordinator's clock.
  virtual Time to_coordinator(Time host_time) const { return host_time + offset(); }
  // The largest change of the offset since the first measurement.
  virtual Time max_correction() const { return 0; }
  // A fresh folder `run` on the host for one repetition.
  virtual void prepare(const std::string& run) = 0;
  // Writes `content` as `run/name` on the host; returns its path there.
  virtual std::string put(const std::string& run, const std::string& name, const std::string& content) = 0;
  // The path of `run/name` on the host (for arguments).
  virtual std::string path(const std::string& run, const std::string& name) const = 0;
  // Starts `qlab ARGS...` with stderr (and stdout unless `first_line`) in `run/log`. With `first_line`, waits
  // (10 s at most) for the first stdout line. `env`: QLAB_* variables for it (e.g. the broker token,
  // QLAB_TOKEN, which must not be an argument: `ps` shows those); the agents' secret is never passed on.
  virtual std::unique_ptr<Process> spawn(const std::string& run, const std::vector<std::string>& args,
                                         const std::string& log, bool first_line, const Environment& env = {}) = 0;
  // (name, content) of the files in `run` whose names end with `suffix`.
  virtual std::vector<std::pair<std::string, std::string>> fetch(const std::string& run, const std::string& suffix) = 0;
  // Starts the server program `program` (a name the host resolves itself: server_executable(); an agent starts
  // only the real brokers' servers, with the flags and environment variables their launchers use:
  // docs/SECURITY.md) with stdout and stderr in `run/log` and `env` on top of the host's environment. Throws
  // std::runtime_error naming the program when the host does not have it.
  virtual std::unique_ptr<Process> start_server(const std::string& run, const std::string& program,
                                                const std::vector<std::string>& args, const std::string& log,
                                                const Environment& env = {}) = 0;
  // Writes `cookie` as the Erlang cookie `run/dir/.erlang.cookie`, readable by its owner only (Erlang refuses
  // it otherwise): a RabbitMQ node with HOME=run/dir reads it there, so it is never an argument.
  virtual void put_erlang_cookie(const std::string& run, const std::string& dir, const std::string& cookie) = 0;
  // A TCP port nothing listens on now at address() (the server binds it next).
  virtual std::uint16_t free_port() = 0;
  // Creates the folder `run/name` (a plain name) if it is missing; returns its path on the host.
  virtual std::string make_dir(const std::string& run, const std::string& name) = 0;
};

// This machine; folders under `root` (run "" is `root` itself); `qlab` is `binary`; its services (a broker placed here) listen on
// `address`, which must be one the agents can reach when they run clients of it.
std::unique_ptr<Host> make_local_host(std::string root, std::string binary, std::string address = "127.0.0.1");
// A `qlab agent` at host:port. Coordinator and agent prove to each other that they know `secret` (by
// default $QLAB_SECRET) without sending it; an agent without a secret (loopback only) is accepted only by
// a coordinator without one. Throws std::runtime_error when the agent cannot be reached or authenticated.
std::unique_ptr<Host> make_agent_host(std::string name, const std::string& host, std::uint16_t port,
                                      std::string secret = read_secret("", kSecretVariable));

// `name` itself when it contains a '/', else the first executable `name` on PATH (then /usr/sbin, /sbin);
// "" when there is none.
std::string find_executable(const std::string& name);
// Where a host finds a server program: RabbitMQ's programs (rabbitmq-*) in /usr/lib/rabbitmq/bin (the ones
// on PATH are wrappers that switch to the rabbitmq user), the others by find_executable(); "" when missing.
std::string server_executable(const std::string& program);
// Writes an Erlang cookie file readable by its owner only. Throws std::runtime_error.
void write_erlang_cookie(const std::filesystem::path& file, const std::string& cookie);
// A TCP port on `address` that nothing uses now (bound and released), drawn at random below the kernel's
// ephemeral range (32768 and up), so that no outgoing connection takes it before the server binds it.
// Throws std::runtime_error.
std::uint16_t free_tcp_port(const std::string& address);

}  // namespace qlab::live
