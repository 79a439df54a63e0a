#pragma once
// `qlab live` in local mode: the coordinator. It starts a broker process, one process per consumer and per
// producer (all `qlab` itself, re-executed), synchronises the start, applies the scenario's faults for real
// (crash = SIGKILL then a restart under the same name; stall = SIGSTOP then SIGCONT), waits for the drain,
// stops everything, and turns the processes' records into one RunResult per repetition.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/scenario.hpp"
#include "metrics/run_result.hpp"

namespace qlab::live {

struct LiveOptions {
  std::string scenario_file;        // passed to the worker processes with `sets`
  std::vector<std::string> sets;    // --set PATH=VALUE overrides, as given
  double time_scale = 1;            // every scenario duration x this; results are scaled back
  std::string qlab_binary;          // the executable to re-run for the broker and workers
  std::filesystem::path work_dir;   // records and process logs go here (one folder per repetition)
  // HOSTS.yaml (docs/LIVE.md): which `qlab agent` runs the broker and each producer/consumer group.
  // Empty: everything on this machine.
  std::string hosts_file;
  std::function<void(const std::string&)> log;  // progress lines
};

// Throws std::invalid_argument (before starting anything) for what local live mode cannot do yet:
// fault actions other than crash/stall, or faults targeting producers or the broker.
void check_live_support(const Scenario& scenario);

// `scenario` as loaded (unscaled). Runs its repetitions one after another.
std::vector<RunResult> run_live(const Scenario& scenario, const LiveOptions& options);

// Per host name: the clock offset (coordinator - host, ns) and the round trip it was measured with, of
// the last run_live() call (empty for a local run).
struct ClockReport {
  std::string host;
  Time offset = 0;
  Time rtt = 0;
};
const std::vector<ClockReport>& last_clock_report();

// The path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace qlab::live
