#pragma once
// Runs checker cases each in a forked child process, so that a simulator check that aborts (QLAB_CHECK), a
// crash, a runaway run or an exception is reported as the case's failure instead of ending the checker.
// The child loads the case document, runs the body and writes its verdict on a pipe; its stderr is kept.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chaos/invariants.hpp"
#include "core/scenario.hpp"

namespace qlab::chaos {

// What the body found in one case.
struct CaseReport {
  std::vector<Violation> violations;
  std::uint64_t published = 0;
  std::uint64_t events = 0;
};

// Runs inside the child: simulates the scenario and checks it.
using CaseBody = std::function<CaseReport(const Scenario& scenario)>;

// The default body: repetition 0 of `scenario` with trace on, then check_invariants.
CaseReport simulate_and_check(const Scenario& scenario);

struct CaseVerdict {
  enum class Outcome { passed, violated, crashed, invalid };
  Outcome outcome = Outcome::passed;
  std::vector<Violation> violations;
  std::string message;  // crashed: how the child ended and the end of its stderr; invalid: the loader's error
  std::uint64_t published = 0;
  std::uint64_t events = 0;

  bool failed() const { return outcome != Outcome::passed; }
  // What kind of failure: "passed", "invalid", the first violated invariant, or "crashed" (with the internal
  // check that failed, when one did). Shrinking keeps it.
  std::string signature() const;
  // Several lines: every violation, or the crash message.
  std::string describe() const;
};

struct RunLimits {
  unsigned jobs = 1;                          // children at once
  double timeout_seconds = 60;                // a child still running after this is killed (crashed)
  std::uint64_t memory_bytes = 3ULL << 30;    // address-space cap of each child
};

// Runs every case document (in its own child, up to `limits.jobs` at once); verdicts in the same order.
std::vector<CaseVerdict> run_cases(const std::vector<nlohmann::ordered_json>& cases, const CaseBody& body,
                                   const RunLimits& limits);

}  // namespace qlab::chaos
