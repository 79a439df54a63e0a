#pragma once
// `qlab agent`: runs on each host of a multi-host live run and takes orders from the coordinator over
// newline-delimited JSON (docs/LIVE.md lists the requests): prepare a run folder, write a file, start a
// `qlab` process, signal it, report its status, send back its records, tell its clock. Everything it
// started for a coordinator is killed when that coordinator's connection ends, however it ends.
#include <cstdint>
#include <functional>
#include <string>

namespace qlab::live {

struct AgentConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 7800;       // 0: ephemeral
  std::string work_dir;            // run folders go here
  std::string binary;              // the qlab executable to start
  std::function<void(std::uint16_t port)> on_listening;
  std::function<void(const std::string&)> log;
};

// Serves until SIGINT/SIGTERM (one coordinator at a time).
void run_agent(const AgentConfig& config);

}  // namespace qlab::live
