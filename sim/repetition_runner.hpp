#pragma once
// Runs a scenario's repetitions in parallel. Each repetition is independent and seeded from
// (scenario seed, repetition), so the results are identical whatever the number of threads.
#include <cstdint>
#include <functional>
#include <vector>

#include "core/scenario.hpp"
#include "metrics/run_result.hpp"

namespace qlab::sim {

struct RepetitionOptions {
  unsigned threads = 0;  // 0: all cores
  bool trace = false;
  // Called from the calling thread about every 250 ms while repetitions run, and once at the end; `messages`
  // counts the messages created so far, all repetitions together.
  using ProgressCallback = std::function<void(std::uint32_t finished, std::uint32_t total, std::uint64_t events,
                                              std::uint64_t messages)>;
  ProgressCallback on_progress;
};

// The results in repetition order.
std::vector<RunResult> run_repetitions(const Scenario& scenario, const RepetitionOptions& options = {});

}  // namespace qlab::sim
