#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "core/units.hpp"
#include "flag_checks.hpp"
#include "metrics/results_writer.hpp"
#include "group_table.hpp"
#include "metrics_table.hpp"
#include "paired_designs.hpp"
#include "sim/repetition_runner.hpp"
#include "workloads/memory_estimate.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_override.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::cli {
namespace {

struct RunArguments {
  std::string scenario;
  std::string out;
  std::vector<std::string> sets;
  std::vector<std::string> designs;  // --design a,b,c: paired runs (paired_designs.hpp)
  std::optional<std::uint32_t> reps;
  std::optional<std::uint64_t> seed;
  unsigned threads = 0;
  bool trace = false;
  bool force = false;
  bool progress = false;
  bool groups = false;
};

// "1m05s", "12s": a wall-clock span for the progress line.
std::string short_span(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  return s < 60 ? std::to_string(s) + "s" : std::to_string(s / 60) + "m" + (s % 60 < 10 ? "0" : "") + std::to_string(s % 60) + "s";
}

// Progress with an ETA on stderr (never stdout, which tests and scripts parse): on a terminal, one rewritten
// line once the run has taken a few seconds; with --progress, always (a line per update when stderr is not a
// terminal, at most every few seconds). The ETA extrapolates the share of the expected messages created so far.
sim::RepetitionOptions::ProgressCallback progress_line(std::chrono::steady_clock::time_point start, double expected_messages,
                                                       bool forced) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  if (!terminal && !forced) return nullptr;
  auto last_line = std::make_shared<double>(-1e9);
  return [=](std::uint32_t finished, std::uint32_t total, std::uint64_t events, std::uint64_t messages) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const bool done = finished == total;
    if (!forced && elapsed < 3.0) return;
    if (!terminal && !done && elapsed - *last_line < 2.0) return;
    *last_line = elapsed;
    const double by_messages = expected_messages > 0 ? static_cast<double>(messages) / expected_messages : 0;
    const double share = std::min(1.0, std::max(by_messages, static_cast<double>(finished) / total));
    const std::string eta = done ? "done" : share > 0.01 ? "ETA " + short_span(elapsed * (1 - share) / share) : "ETA ?";
    std::fprintf(stderr, "%sqlab run: %u/%u repetitions, %.0f%%, %.1fM events, %s elapsed, %s%s", terminal ? "\r\033[K" : "",
                 finished, total, share * 100, static_cast<double>(events) / 1e6, short_span(elapsed).c_str(), eta.c_str(),
                 terminal && !done ? "" : "\n");
  };
}

// Warm-up that discards every message leaves latency and wait without samples: n/a alone would not say why.
void warn_if_warmup_discards_everything(const Scenario& scenario, const std::vector<RunResult>& runs) {
  if (scenario.warmup <= 0) return;
  const bool none_kept = std::all_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.latency.count() == 0; });
  const bool some_done = std::any_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.metric("processed").value_or(0) > 0; });
  if (none_kept && some_done) {
    std::fprintf(stderr,
                 "qlab run: warning: warmup %s discards every message (none that completed was published after it): "
                 "latency and wait have no samples (n/a); shorten warmup\n",
                 format_duration(scenario.warmup).c_str());
  }
}

void run(const RunArguments& args) {
  std::vector<workloads::Override> overrides;
  for (const std::string& set : args.sets) overrides.push_back(workloads::parse_override(set));
  if (args.reps) overrides.push_back({"repetitions", std::to_string(*args.reps)});
  if (args.seed) overrides.push_back({"seed", std::to_string(*args.seed)});
  if (args.designs.size() > 1) return run_paired_designs({args.scenario, overrides, args.designs, args.threads, args.force, args.out, args.trace});
  if (args.designs.size() == 1) overrides.push_back({"queue.design", args.designs.front()});
  const Scenario scenario = workloads::load_scenario_file(args.scenario, overrides);
  workloads::check_simulatable(scenario, args.scenario);
  const unsigned threads = args.threads > 0 ? args.threads : std::max(1u, std::thread::hardware_concurrency());
  const workloads::MemoryEstimate estimate = workloads::estimate_memory(scenario, threads, args.trace);
  workloads::check_memory(estimate, args.scenario, args.force);
  if (!args.out.empty()) check_output_path(args.out, "--out", true);

  const auto start = std::chrono::steady_clock::now();
  sim::RepetitionOptions options;
  options.threads = args.threads;
  options.trace = args.trace;
  options.on_progress = progress_line(start, estimate.messages * scenario.repetitions, args.progress);
  const std::vector<RunResult> runs = sim::run_repetitions(scenario, options);

  const RunInfo info{"sim", scenario.name, scenario.queue.design, scenario.seed, workloads::scenario_to_json(scenario)};
  const auto summary = summary_json(info, runs);
  warn_if_warmup_discards_everything(scenario, runs);
  if (!args.out.empty()) write_results(args.out, runs, summary);

  std::printf("scenario %s, design %s, %u repetition%s, seed %llu\n", scenario.name.c_str(),
              scenario.queue.design.c_str(), scenario.repetitions, scenario.repetitions == 1 ? "" : "s",
              static_cast<unsigned long long>(scenario.seed));
  std::printf("%s", format_metrics_table(summary.at("metrics"), runs.size()).c_str());
  if (args.groups) std::printf("%s", format_group_table(summary.at("groups")).c_str());
  if (args.out.empty()) {
    std::printf("(no files written: add --out DIR for summary.json, timeseries.csv and histograms)\n");
  } else {
    std::printf("results in %s\n", args.out.c_str());
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArguments>();
  auto* command = app.add_subcommand("run", "Simulate a scenario and report its metrics");
  command->add_option("scenario", args->scenario, "Scenario YAML file")->required();
  command->add_option("--out,-o", args->out, "Write summary.json, timeseries.csv, ... into this folder");
  command->add_option("--reps", args->reps, "Number of repetitions (overrides the scenario's)")->check(whole_number(1, 100000));
  command->add_option("--seed", args->seed, "Base seed (overrides the scenario's)")->check(seed_number());
  command->add_option("--set", args->sets, "Override a scenario key: --set consumers[0].count=4 (repeatable)")
      ->type_name("PATH=VALUE");
  command->add_option("--jobs,-j,--threads", args->threads, "Worker threads for repetitions, 1 to 1024 (default: all cores)")
      ->check(whole_number(1, 1024));
  command->add_option("--design", args->designs, "Run these designs (comma-separated) at the same seeds, side by side")
      ->delimiter(',')->type_name("DESIGN,...");
  command->add_flag("--trace", args->trace, "Also write messages.csv with every message's life");
  command->add_flag("--force", args->force, "Run even when the estimated memory exceeds the available memory");
  command->add_flag("--progress", args->progress,
                    "Report progress with an ETA on stderr even when it is not a terminal (a terminal gets it after 3 s)");
  command->add_flag("--groups", args->groups, "Also print the metrics of each producer and consumer group");
  command->callback([args] { run(*args); });
}

}  // namespace qlab::cli
