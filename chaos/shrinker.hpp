#pragma once
// Shrinking a failing case: greedy, like QuickCheck's. Each step tries smaller variants of the scenario
// document (a fault removed, the duration halved, a group removed or made smaller, a distribution made
// constant, a design parameter back at its default, ...) and keeps the first that still fails the same way
// (same CaseVerdict::signature), until no variant does or the attempt budget is spent.
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "chaos/case_runner.hpp"

namespace qlab::chaos {

struct ShrinkResult {
  nlohmann::ordered_json scenario;  // the smallest failing document found
  CaseVerdict verdict;              // its verdict
  std::size_t attempts = 0;         // variants run
  std::size_t steps = 0;            // variants kept
};

// Smaller variants of `doc`, most reducing first. Some may not load (a fault naming a removed member); they
// count as not failing the same way.
std::vector<nlohmann::ordered_json> shrink_candidates(const nlohmann::ordered_json& doc);

ShrinkResult shrink(const nlohmann::ordered_json& failing, const CaseVerdict& verdict, const CaseBody& body,
                    const RunLimits& limits, std::size_t max_attempts = 400);

}  // namespace qlab::chaos
