#pragma once
// The randomized checker (Jepsen-style): generates case after case from consecutive seeds, runs each in its
// own process with trace on, checks every invariant its design promises, and shrinks the failures.
// docs/CHECKER.md describes what is generated and checked.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chaos/case_generator.hpp"
#include "chaos/case_runner.hpp"
#include "chaos/shrinker.hpp"

namespace qlab::chaos {

struct DesignTally {
  std::uint64_t cases = 0;
  std::uint64_t failures = 0;
};

struct CheckFailure {
  std::uint64_t seed = 0;                 // generate_case(seed, options) reproduces `original`
  nlohmann::ordered_json original;
  CaseVerdict verdict;
  ShrinkResult shrunk;                    // shrunk.scenario == original when shrinking is off
};

struct CheckSummary {
  std::uint64_t cases = 0;
  std::uint64_t published = 0;            // messages accepted over every case
  std::uint64_t events = 0;               // simulator events over every case
  double wall_seconds = 0;                // generating, running and checking (not shrinking)
  std::map<std::string, DesignTally> by_design;
  std::vector<CheckFailure> failures;
};

struct CheckerOptions {
  std::uint64_t seed = 1;                 // case k (from 0) uses seed + k
  std::uint64_t cases = 0;                // stop after this many cases (0: no count limit)
  double seconds = 0;                     // stop once this much wall time has passed (0: no time limit)
  GeneratorOptions generator;
  RunLimits limits;
  std::size_t max_failures = 1;           // stop after this many failing cases
  bool shrink = true;
  std::size_t max_shrink_attempts = 400;
  CaseBody body = simulate_and_check;
  // Called after every batch of cases (and before shrinking a failure).
  std::function<void(const CheckSummary&)> on_progress;
};

CheckSummary run_checker(const CheckerOptions& options);

// The case as the scenario file it stands for: loaded, then written back with every default resolved
// (workloads::scenario_to_json) as YAML that `qlab run` and `qlab check --replay` load. A document the loader
// refuses is printed as it is.
std::string case_yaml(const nlohmann::ordered_json& doc);

}  // namespace qlab::chaos
