#pragma once
// How long a suite will take on this machine, estimated before it runs (`qlab suite --dry-run`): each
// repetition costs a fixed setup plus a cost per message it publishes (messages from the scenario, as the
// memory estimate counts them); points run one after another, their repetitions `jobs` at a time. The costs
// are measured on this code (bench/README.md, "Dry run", gives the command); the estimate is an order of
// magnitude for planning, not a promise.
#include <cstddef>
#include <vector>

#include "bench/suite.hpp"

namespace qlab::bench {

// Seconds of one core: the seed suite (2.6e7 messages) takes 5 s of user CPU time in `qlab suite`.
inline constexpr double kSecondsPerMessage = 2e-7;
inline constexpr double kSecondsPerRepetition = 2e-3;  // setup, and the repetition's histograms and series
inline constexpr double kSecondsPerPoint = 5e-3;       // the point's files, written and synced

struct PointEstimate {
  const SuitePoint* point = nullptr;
  double messages = 0;  // per repetition
  double seconds = 0;   // wall time with `jobs` threads
};

struct SuiteEstimate {
  std::vector<PointEstimate> points;  // in suite order
  double seconds = 0;                 // wall time with `jobs` threads
  double messages = 0;                // every repetition of every point
};

SuiteEstimate estimate_suite(const Suite& suite, unsigned jobs);

}  // namespace qlab::bench
