#include "saturation_rate.hpp"

#include <algorithm>

#include "repetition_runner.hpp"

namespace qlab::sim {

Scenario at_total_rate(const Scenario& scenario, double total, const SaturationSearch& search) {
  Scenario probe = scenario;
  std::uint64_t producers = 0;
  for (const ProducerGroup& g : probe.producers) producers += g.count;
  for (ProducerGroup& g : probe.producers) {
    g.arrival = Arrival::poisson;
    g.rate = total / static_cast<double>(producers);
    g.rate_max = false;
    g.messages.reset();
  }
  probe.faults.clear();
  probe.duration = search.probe;
  probe.drain = false;
  probe.warmup = 0;
  probe.warmup_auto = false;
  probe.repetitions = 1;
  return probe;
}

bool sustained(const Scenario& scenario, double total, const SaturationSearch& search) {
  RepetitionOptions options;
  options.threads = 1;
  const RunResult run = run_repetitions(at_total_rate(scenario, total, search), options).front();
  const double bound = to_seconds(search.latency_bound);
  return run.metric("unique_processed").value_or(0) > 0 &&
         run.metric("remaining").value_or(0) <= std::max(1.0, total * bound) &&
         run.metric("latency_p99").value_or(0) <= bound;
}

double saturation_rate(const Scenario& scenario, double guess, const SaturationSearch& search) {
  double good = 0;  // highest sustained rate so far
  double bad = 0;   // lowest unsustained rate so far
  double rate = guess;
  // Bracket: at most 40 doublings or halvings (a factor of 10^12 either way).
  for (int step = 0; step < 40 && (good == 0 || bad == 0); ++step) {
    if (sustained(scenario, rate, search)) {
      good = rate;
      rate *= 2;
    } else {
      bad = rate;
      rate /= 2;
    }
  }
  if (good == 0 || bad == 0) return good;
  for (int step = 0; step < search.bisections; ++step) {
    const double middle = (good + bad) / 2;
    (sustained(scenario, middle, search) ? good : bad) = middle;
  }
  return good;
}

}  // namespace qlab::sim
