#include "bench/suite_estimate.hpp"

#include <algorithm>
#include <cmath>

#include "workloads/memory_estimate.hpp"

namespace qlab::bench {

SuiteEstimate estimate_suite(const Suite& suite, unsigned jobs) {
  SuiteEstimate estimate;
  const double threads = std::max(1u, jobs);
  for (const SuitePoint* point : suite.points()) {
    const double repetitions = point->scenario.repetitions;
    const double messages = workloads::estimate_memory(point->scenario, 1).messages;
    const double repetition_seconds = kSecondsPerRepetition + messages * kSecondsPerMessage;
    // Repetitions run `jobs` at a time: a point takes as many rounds as it needs.
    const double seconds = kSecondsPerPoint + std::ceil(repetitions / threads) * repetition_seconds;
    estimate.points.push_back({point, messages, seconds});
    estimate.seconds += seconds;
    estimate.messages += messages * repetitions;
  }
  return estimate;
}

}  // namespace qlab::bench
