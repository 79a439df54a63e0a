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
  // Called from the calling thread about every 250 ms while repetitions run.
  using ProgressCallback = std::function<void(std::uint32_t finished, std::uint32_t total, std::uint64_t events)>;
  ProgressCallback on_progress;
};

// The results in repetition order.
std::vector<RunResult> run_repetitions(const Scenario& scenario, const RepetitionOptions& options = {});

}  // namespace qlab::sim
