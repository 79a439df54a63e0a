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
#include "core/time.hpp"
#include "metrics/run_result.hpp"

namespace qlab::live {

struct LiveOptions {
  std::string scenario_file;        // passed to the worker processes with `sets`
  std::vector<std::string> sets;    // --set PATH=VALUE overrides, as given
  double time_scale = 1;            // every scenario duration x this; results are scaled back
  std::string qlab_binary;          // the executable to re-run for the broker and workers
  std::string backend = "qlab";     // the broker: qlab's own or a real one (live/backends/backend_registry.hpp)
  std::filesystem::path work_dir;   // records and process logs go here (one folder per repetition)
  // HOSTS.yaml (docs/LIVE.md): which `qlab agent` runs the broker and each producer/consumer group.
  // Empty: everything on this machine.
  std::string hosts_file;
  std::function<void(const std::string&)> log;  // progress lines
  // `rate: max` (the rate finder), in wall-clock time: how long each probe publishes (0: 1 s, or 200 mean
  // service times of the slowest consumer group when longer) and how long the whole search may take.
  Time rate_probe = 0;
  Time rate_search_time = 30 * kSecond;
  // Scenario time: a probe is sustained when its end-to-end latency p99 stays under this and its backlog at
  // the end under rate x this (Little's law). 0: a tenth of the probe.
  Time rate_latency_bound = 0;
};

// What the rate finder tried and where it settled (scenario time: messages per second of scenario time).
struct RateProbe {
  double rate_total = 0;  // of the `rate: max` producers together
  bool confirmation = false;  // a longer probe confirming the rate the search settled on
  bool sustained = false;
  double backlog = 0;     // messages queued at the end of the probe
  double latency_p99 = 0; // seconds
  double processed = 0;
};
struct RateSearch {
  bool used = false;            // the scenario has a `rate: max` group
  double rate_per_producer = 0; // the rate settled on, per `rate: max` producer
  double rate_total = 0;        // ... and for all of them
  std::uint32_t producers = 0;  // how many producers have `rate: max`
  bool limit_found = false;     // false: every probe was sustained (rate_total is a lower bound)
  bool confirmed = false;       // a probe kConfirmationLength times longer sustained rate_total
  Time probe = 0;               // wall clock
  Time latency_bound = 0;       // scenario time
  double backlog_bound_seconds = 0;
  double wall_seconds = 0;
  std::vector<RateProbe> probes;
};
const RateSearch& last_rate_search();

// Throws std::invalid_argument (before starting anything) for what live mode cannot do: a fault action it
// does not implement, a consumer fault aimed elsewhere, a producer that never stops, `rate: max` beside a
// batch group; and what `backend` cannot express (its registry check, naming the back end and the key).
void check_live_support(const Scenario& scenario, const std::string& backend = "qlab");

// The server version of the back end of the last run_live() call (e.g. "nats-server 2.9.10").
const std::string& last_backend_version();

// `scenario` as loaded (unscaled). Runs its repetitions one after another. With `rate: max` groups it first
// searches the highest sustainable rate (probe runs of their own, in `rate-probe-K` folders), then runs
// every repetition at that rate; the results carry the metrics rate_found and rate_found_total.
std::vector<RunResult> run_live(const Scenario& scenario, const LiveOptions& options);

// Per host name: the clock offset (coordinator - host, ns) and the round trip it was measured with, of
// the last run_live() call (empty for a local run).
struct ClockReport {
  std::string host;
  Time offset = 0;          // first measured
  Time rtt = 0;
  Time max_correction = 0;  // the largest change of the offset measured during the runs (drift)
};
const std::vector<ClockReport>& last_clock_report();

// The path of the running executable (/proc/self/exe).
std::string current_executable();

}  // namespace qlab::live
