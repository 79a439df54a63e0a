#pragma once
// The promises each queue design makes, checked against one traced run (RunResult with its per-message
// trace). Pure: the same scenario and result always give the same violations. docs/CHECKER.md states each
// invariant and why it holds.
#include <string>
#include <vector>

#include "core/scenario.hpp"
#include "metrics/run_result.hpp"

namespace qlab::chaos {

struct Violation {
  std::string invariant;  // conservation, trace, loss_attribution, no_loss, confirmed_survive,
                          // exclusive_processing, at_most_once; audit_design adds custody,
                          // group_in_flight, group_order
  std::string detail;     // one line: which message, which numbers
};

// Every invariant `scenario`'s design promises, checked on `result` (which must have been run with trace on).
std::vector<Violation> check_invariants(const Scenario& scenario, const RunResult& result);

}  // namespace qlab::chaos
