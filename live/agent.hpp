#pragma once
// `qlab agent`: runs on each host of a multi-host live run and takes orders from the coordinator over
// newline-delimited JSON (docs/LIVE.md lists the requests): prepare a run folder, write a file, make a
// folder, write an Erlang cookie, find a free port, start a `qlab` process or a real broker's server
// (nats-server, redis-server, beanstalkd, RabbitMQ's epmd, rabbitmq-server and rabbitmq-queues: resolved on
// this host, with their launchers' flags and variables only: server_order.hpp), signal it, report its
// status, send back its records, tell its clock. Everything it started for a coordinator is killed when that
// coordinator's connection ends, however it ends.
// With a shared secret, a coordinator must first prove it knows it (and the agent proves it too); every
// path an order names stays inside the work folder (docs/SECURITY.md).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace qlab::live {

struct AgentConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 7800;       // 0: ephemeral
  std::string work_dir;            // run folders go here
  std::string binary;              // the qlab executable to start
  std::string secret;              // shared with the coordinator; empty: only on a loopback address
  std::function<void(std::uint16_t port)> on_listening;
  std::function<void(const std::string&)> log;
};

// Serves until SIGINT/SIGTERM (one coordinator at a time). Throws std::invalid_argument for a
// configuration it refuses (no secret on an address that is not loopback).
void run_agent(const AgentConfig& config);

// `path` (absolute, or relative to `root`) with symlinks resolved; throws std::invalid_argument when it
// has a ".." component or resolves outside `root`.
std::filesystem::path confined_path(const std::filesystem::path& root, const std::string& path);

// The proofs of the "auth" exchange: HMAC-SHA256 over both nonces, with a different label each way (a
// proof one side made is never one the other side would accept).
std::string agent_proof(const std::string& secret, const std::string& coordinator_nonce, const std::string& agent_nonce);
std::string coordinator_proof(const std::string& secret, const std::string& coordinator_nonce,
                              const std::string& agent_nonce);

}  // namespace qlab::live
