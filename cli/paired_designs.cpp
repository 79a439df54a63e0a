#include "paired_designs.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "comparison_table.hpp"
#include "flag_checks.hpp"
#include "metrics/results_comparison.hpp"
#include "metrics/results_writer.hpp"
#include "metrics_table.hpp"
#include "queues/design_registry.hpp"
#include "sim/repetition_runner.hpp"
#include "workloads/did_you_mean.hpp"
#include "workloads/memory_estimate.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::cli {
namespace {

void check_designs(const std::vector<std::string>& designs) {
  std::vector<std::string> known;
  for (const DesignInfo& info : qlab::designs()) known.push_back(info.name);
  for (std::size_t i = 0; i < designs.size(); ++i) {
    const std::string& name = designs[i];
    if (find_design(name) == nullptr) {
      const std::string hint = workloads::closest_match(name, known);
      throw workloads::ScenarioError("--design " + workloads::join(designs, ",") + ": unknown design '" + name + "' (" +
                                     (hint.empty() ? "" : "did you mean '" + hint + "'? ") + "expected designs from " +
                                     workloads::join(known) + ")");
    }
    if (std::find(designs.begin(), designs.begin() + static_cast<std::ptrdiff_t>(i), name) != designs.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw workloads::ScenarioError("--design " + workloads::join(designs, ",") + ": design '" + name +
                                     "' is given twice (expected each design once)");
    }
  }
}

}  // namespace

void run_paired_designs(const PairedRun& request) {
  check_designs(request.designs);
  std::vector<Scenario> scenarios;
  const unsigned threads = request.threads > 0 ? request.threads : std::max(1u, std::thread::hardware_concurrency());
  for (const std::string& design : request.designs) {
    std::vector<workloads::Override> overrides = request.overrides;
    overrides.push_back({"queue.design", design});
    scenarios.push_back(workloads::load_scenario_file(request.scenario_file, overrides));
    workloads::check_simulatable(scenarios.back(), request.scenario_file);
    workloads::check_memory(workloads::estimate_memory(scenarios.back(), threads, request.trace), request.scenario_file, request.force);
  }
  if (!request.out.empty()) check_output_path(request.out, "--out", true);

  std::vector<nlohmann::ordered_json> summaries;
  for (const Scenario& scenario : scenarios) {
    sim::RepetitionOptions options;
    options.threads = request.threads;
    options.trace = request.trace;
    const std::vector<RunResult> runs = sim::run_repetitions(scenario, options);
    const RunInfo info{"sim", scenario.name, scenario.queue.design, scenario.seed, workloads::scenario_to_json(scenario)};
    summaries.push_back(summary_json(info, runs));
    if (!request.out.empty()) write_results(std::filesystem::path(request.out) / scenario.queue.design, runs, summaries.back());
  }

  const Scenario& first = scenarios.front();
  std::printf("scenario %s, designs %s paired: %u repetition%s each at the same seeds (base seed %llu)\n", first.name.c_str(),
              workloads::join(request.designs).c_str(), first.repetitions, first.repetitions == 1 ? "" : "s",
              static_cast<unsigned long long>(first.seed));
  Table table{{"metric"}};
  for (const std::string& design : request.designs) table.front().push_back(design);
  for (std::size_t d = 1; d < request.designs.size(); ++d) table.front().push_back(request.designs[d] + " - " + request.designs[0]);
  std::vector<std::string> keys;
  for (const std::string& key : main_metric_keys()) {
    if (key != "events_per_second" && summaries.front().at("metrics").contains(key)) keys.push_back(key);
  }
  std::vector<ResultsComparison> comparisons;
  for (std::size_t d = 1; d < summaries.size(); ++d) {
    comparisons.push_back(compare_results(summaries.front(), summaries[d], keys, Pairing::by_seed));
  }
  const auto row_of = [](const ResultsComparison& c, const std::string& key) -> const MetricComparison* {
    const auto it = std::find_if(c.rows.begin(), c.rows.end(), [&](const MetricComparison& r) { return r.key == key; });
    return it == c.rows.end() ? nullptr : &*it;
  };
  bool any_significant = false;
  for (const std::string& key : keys) {
    const MetricComparison* base = row_of(comparisons.front(), key);
    std::vector<std::string> row{key, base != nullptr ? side_cell(key, base->a) : "n/a"};
    for (const ResultsComparison& c : comparisons) row.push_back(row_of(c, key) ? side_cell(key, row_of(c, key)->b) : "n/a");
    for (const ResultsComparison& c : comparisons) {
      const MetricComparison* r = row_of(c, key);
      row.push_back(r != nullptr ? difference_cell(*r) : "-");
      any_significant = any_significant || (r != nullptr && r->significant);
    }
    table.push_back(row);
  }
  std::printf("%s", format_table(table).c_str());
  if (any_significant) std::printf("* the 95%% CI of the paired difference (per repetition, same seeds) excludes 0\n");
  if (first.repetitions < 2) std::printf("(no confidence intervals: they need 2 repetitions or more)\n");
  if (request.out.empty()) {
    std::printf("(no files written: add --out DIR for DIR/<design>/summary.json, ...; qlab compare DIR/A DIR/B)\n");
  } else {
    std::printf("results in %s/<design>/ (qlab compare %s/%s %s/%s)\n", request.out.c_str(), request.out.c_str(),
                request.designs[0].c_str(), request.out.c_str(), request.designs[1].c_str());
  }
}

}  // namespace qlab::cli
