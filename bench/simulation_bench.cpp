// A full simulated M/M/8 queue at rho = 0.9 with every metric on (histograms, time series, ledger,
// per-consumer accounting), reporting simulated messages per second of wall time.
#include <benchmark/benchmark.h>

#include "sim/simulation.hpp"
#include "workloads/scenario_loader.hpp"

namespace {

void BM_FullRunMM8(benchmark::State& state) {
  const auto design = state.range(0) == 0 ? "pull" : "visibility_timeout";
  const qlab::Scenario scenario = qlab::workloads::load_scenario_text(
      std::string("name: mm8\nduration: 100000s\nqueue: {design: ") + design +
          "}\nproducers: [{rate: 7.2/s}]\nconsumers: [{count: 8, service: {dist: exponential, mean: 1s}}]\n",
      "bench");
  double messages = 0;
  std::uint32_t repetition = 0;
  for (auto _ : state) {
    const qlab::RunResult run = qlab::sim::simulate(scenario, repetition++);
    messages += run.metric("published").value();
  }
  state.counters["messages_per_second"] = benchmark::Counter(messages, benchmark::Counter::kIsRate);
  state.SetLabel(design);
}
BENCHMARK(BM_FullRunMM8)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
