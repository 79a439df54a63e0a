// A full simulated M/M/8 queue at rho = 0.9 with every metric on (histograms, time series, ledger,
// per-consumer accounting) against the baselines it is judged by (bench/mmc_baselines.hpp), in the same
// process: the minimal M/M/c loop (the same arrival and service streams and draws, a binary heap of events,
// no metrics, no checks) and the design floor (that loop with the real design deciding who takes what: work
// that any simulator running the designs does too). Runs alternate (minimal, design floor, full) several
// times so all see the same machine load; each reported ratio is the median of the rounds' ratios of
// simulated messages per second of CPU time (of the benchmark thread).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "bench/mmc_baselines.hpp"
#include "sim/simulation.hpp"
#include "workloads/scenario_loader.hpp"

namespace {

qlab::Scenario mm8_scenario(const char* design) {
  return qlab::workloads::load_scenario_text(
      std::string("name: mm8\nduration: 100000s\nqueue: {design: ") + design +
          "}\nproducers: [{rate: 7.2/s}]\nconsumers: [{count: 8, service: {dist: exponential, mean: 1s}}]\n",
      "bench");
}

// CPU time of the calling thread: on a machine shared with other work, wall time would measure the load.
double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Argument: 0 = pull, 1 = visibility_timeout. Counters: the median full and minimal rates (messages/s)
// and the median ratios full / minimal and design floor / minimal (about the most a simulator hosting the
// design could reach) over kRounds alternating rounds.
void BM_FullVsMinimalMM8(benchmark::State& state) {
  constexpr int kRounds = 7;
  const char* design = state.range(0) == 0 ? "pull" : "visibility_timeout";
  const qlab::Scenario scenario = mm8_scenario(design);
  std::vector<double> full_rates;
  std::vector<double> minimal_rates;
  std::vector<double> ratios;
  std::vector<double> floor_ratios;
  std::uint32_t repetition = 0;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round, ++repetition) {
      double start = thread_seconds();
      const qlab::bench::BaselineRun minimal = qlab::bench::run_minimal_mmc(scenario, repetition);
      const double minimal_rate = static_cast<double>(minimal.published) / (thread_seconds() - start);
      start = thread_seconds();
      const qlab::bench::BaselineRun floor = qlab::bench::run_design_floor(scenario, repetition);
      const double floor_rate = static_cast<double>(floor.published) / (thread_seconds() - start);
      if (floor.published != minimal.published) {
        state.SkipWithError("the design floor and the minimal loop published different numbers of messages");
        return;
      }
      start = thread_seconds();
      const qlab::RunResult run = qlab::sim::simulate(scenario, repetition);
      const double full_rate = run.metric("published").value() / (thread_seconds() - start);
      minimal_rates.push_back(minimal_rate);
      full_rates.push_back(full_rate);
      ratios.push_back(full_rate / minimal_rate);
      floor_ratios.push_back(floor_rate / minimal_rate);
    }
  }
  state.counters["full_msgs_per_s"] = median(full_rates);
  state.counters["minimal_msgs_per_s"] = median(minimal_rates);
  state.counters["ratio"] = median(ratios);
  state.counters["design_floor_ratio"] = median(floor_ratios);
  state.SetLabel(design);
}
BENCHMARK(BM_FullVsMinimalMM8)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
