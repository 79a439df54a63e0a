#pragma once
// The simulator's counterpart of the live rate finder (`rate: max`, docs/LIVE.md): the highest total publish
// rate a scenario sustains, judged as live judges it. A probe publishes Poisson arrivals at one rate for
// `probe` from an empty system, without faults, and stops without draining; it is sustained when something
// was processed, the backlog left is at most max(1, rate x bound) and the latency p99 is at most the bound.
// Used by `qlab calibrate` to compare a simulated broker with the live one on the same terms.
#include <cstdint>

#include "core/scenario.hpp"

namespace qlab::sim {

struct SaturationSearch {
  Time probe = kSecond;
  Time latency_bound = 100 * kMillisecond;
  int bisections = 12;
};

// `scenario` with every producer group publishing `total` messages per second in all (split evenly over the
// producers), as one probe of `search`.
Scenario at_total_rate(const Scenario& scenario, double total, const SaturationSearch& search);
bool sustained(const Scenario& scenario, double total, const SaturationSearch& search);
// The highest sustained total rate, found from `guess` by doubling or halving until the limit is bracketed,
// then bisecting. Deterministic for a given scenario (its seed).
double saturation_rate(const Scenario& scenario, double guess, const SaturationSearch& search = {});

}  // namespace qlab::sim
