#pragma once
// `qlab run SCENARIO --design a,b,c`: the scenario run once per design at the same seeds (common random
// numbers: repetition r of every design sees the same arrivals and service times), printed side by side with
// the 95% CI of each design's per-repetition difference from the first design.
#include <string>
#include <vector>

#include "workloads/scenario_override.hpp"

namespace qlab::cli {

struct PairedRun {
  std::string scenario_file;
  std::vector<workloads::Override> overrides;  // --set, --reps, --seed; queue.design is added per design
  std::vector<std::string> designs;            // two or more registered designs, each once
  unsigned threads = 0;                        // 0: all cores
  bool force = false;                          // run even when the memory estimate exceeds what is available
  std::string out;                             // when given: OUT/<design>/ holds each design's results
  bool trace = false;                          // also messages.csv in each design's folder
};

// Validates everything (designs, every design's scenario, memory, output folder) before running anything;
// bad input throws ScenarioError.
void run_paired_designs(const PairedRun& request);

}  // namespace qlab::cli
