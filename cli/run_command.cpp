#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "flag_checks.hpp"
#include "metrics/results_writer.hpp"
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
};

// Reports progress on one rewritten stderr line, only on a terminal and only once a run passes a second.
sim::RepetitionOptions::ProgressCallback progress_line(std::chrono::steady_clock::time_point start) {
  if (!isatty(STDERR_FILENO)) return nullptr;
  return [start](std::uint32_t finished, std::uint32_t total, std::uint64_t events) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed < 1.0) return;
    std::fprintf(stderr, "\r\033[Kqlab: %u/%u repetitions done, %.1fM events, %.1fs", finished, total,
                 static_cast<double>(events) / 1e6, elapsed);
    if (finished == total) std::fprintf(stderr, "\n");
  };
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
  workloads::check_memory(workloads::estimate_memory(scenario, threads), args.scenario, args.force);
  if (!args.out.empty()) check_output_path(args.out, "--out", true);

  const auto start = std::chrono::steady_clock::now();
  sim::RepetitionOptions options;
  options.threads = args.threads;
  options.trace = args.trace;
  options.on_progress = progress_line(start);
  const std::vector<RunResult> runs = sim::run_repetitions(scenario, options);

  const RunInfo info{"sim", scenario.name, scenario.queue.design, scenario.seed, workloads::scenario_to_json(scenario)};
  const auto summary = summary_json(info, runs);
  if (!args.out.empty()) write_results(args.out, info, runs);

  std::printf("scenario %s, design %s, %u repetition%s, seed %llu\n", scenario.name.c_str(),
              scenario.queue.design.c_str(), scenario.repetitions, scenario.repetitions == 1 ? "" : "s",
              static_cast<unsigned long long>(scenario.seed));
  std::printf("%s", format_metrics_table(summary.at("metrics")).c_str());
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
  command->callback([args] { run(*args); });
}

}  // namespace qlab::cli
