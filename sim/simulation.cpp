#include "simulation.hpp"

#include "metrics/mser5.hpp"
#include "simulation_engine.hpp"

namespace qlab::sim {

RunResult simulate(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options) {
  if (!scenario.warmup_auto) return SimulationEngine(scenario, repetition, options).run();
  // A pilot pass finds the warm-up by MSER-5 on the number of messages in the system; the measuring pass
  // then replays the very same random draws (warm-up changes what is counted, never what happens).
  Scenario measured = scenario;
  measured.warmup_auto = false;
  measured.warmup = 0;
  const SimulationOptions quiet{};
  const RunResult pilot = SimulationEngine(measured, repetition, quiet).run();
  std::vector<double> in_system;
  for (const TimeSeriesPoint& p : pilot.series) in_system.push_back(static_cast<double>(p.backlog + p.in_flight));
  const std::size_t cut = mser5_truncation(in_system);
  measured.warmup = cut < pilot.series.size() ? pilot.series[cut].t : 0;
  return SimulationEngine(measured, repetition, options).run();
}

}  // namespace qlab::sim
