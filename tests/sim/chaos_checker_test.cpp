// The randomized checker: generation is deterministic, a bounded run passes, each invariant catches a result
// doctored to break it, a crashing case is reported, and a planted bug is found and shrunk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "chaos/checker.hpp"
#include "chaos/invariants.hpp"
#include "core/check.hpp"
#include "queues/design_registry.hpp"
#include "sim_test_support.hpp"
#include "sim/simulation.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::chaos {
namespace {

using sim::testing::scenario_from;

RunResult traced(const Scenario& scenario) {
  sim::SimulationOptions options;
  options.trace = true;
  return sim::simulate(scenario, 0, options);
}

Metric& metric(RunResult& result, const std::string& key) {
  for (Metric& m : result.metrics) {
    if (m.key == key) return m;
  }
  throw std::runtime_error("no metric " + key);
}

bool violates(const std::vector<Violation>& violations, const std::string& invariant) {
  for (const Violation& v : violations) {
    if (v.invariant == invariant) return true;
  }
  return false;
}

std::string names(const std::vector<Violation>& violations) {
  std::string text;
  for (const Violation& v : violations) text += v.invariant + ": " + v.detail + "\n";
  return text;
}

const std::string kVisibility = R"(
name: doctored
seed: 7
duration: 5s
queue: {design: visibility_timeout, visibility_timeout: 300ms}
producers: [{rate: 40/s}]
consumers: [{name: w, count: 3, service: {dist: exponential, mean: 50ms}, prefetch: 2}]
network: {latency: 1ms}
faults:
  - {at: 1s, action: crash, target: 'w[0]', restart_after: 200ms}
  - {at: 2s, action: stall, target: 'w[1]', duration: 1s}
)";

TEST(ChaosGenerator, TheSameSeedGivesTheSameCase) {
  EXPECT_EQ(generate_case(42).dump(), generate_case(42).dump());
  EXPECT_NE(generate_case(42).dump(), generate_case(43).dump());
  EXPECT_EQ(generate_case(42, {"replicated"})["queue"]["design"], "replicated");
}

TEST(ChaosGenerator, EveryCaseLoadsAndEveryDesignAndActionAppears) {
  std::set<std::string> seen_designs;
  std::set<std::string> seen_actions;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const auto doc = generate_case(seed);
    ASSERT_NO_THROW(workloads::load_scenario_text(doc.dump(), "case")) << doc.dump();
    seen_designs.insert(doc["queue"]["design"].get<std::string>());
    for (const auto& fault : doc["faults"]) seen_actions.insert(fault["action"].get<std::string>());
  }
  EXPECT_EQ(seen_designs.size(), designs().size());
  EXPECT_EQ(seen_actions.size(), 8u);
}

TEST(ChaosChecker, ABoundedRunOfEveryDesignPasses) {
  CheckerOptions options;
  options.seed = 1;
  options.cases = 1000;
  options.limits.jobs = 2;
  const CheckSummary summary = run_checker(options);
  EXPECT_EQ(summary.cases, 1000u);
  EXPECT_EQ(summary.by_design.size(), designs().size());
  for (const CheckFailure& failure : summary.failures) {
    ADD_FAILURE() << "case seed " << failure.seed << ": " << failure.verdict.describe() << case_yaml(failure.shrunk.scenario);
  }
}

TEST(ChaosInvariants, AnHonestRunPassesAndADoctoredCounterBreaksConservation) {
  const Scenario scenario = scenario_from(kVisibility);
  RunResult result = traced(scenario);
  EXPECT_TRUE(check_invariants(scenario, result).empty()) << names(check_invariants(scenario, result));
  metric(result, "published").value += 1;
  EXPECT_TRUE(violates(check_invariants(scenario, result), "conservation"));
}

TEST(ChaosInvariants, AMissingCompletionInTheTraceIsCaught) {
  const Scenario scenario = scenario_from(kVisibility);
  RunResult result = traced(scenario);
  for (MessageTrace& m : result.trace) {
    if (m.fate != "processed") continue;
    std::erase_if(m.history, [](const auto& line) { return line.second.starts_with("done:"); });
    break;
  }
  EXPECT_TRUE(violates(check_invariants(scenario, result), "trace"));
}

TEST(ChaosInvariants, AVisibilityTimeoutLossWithoutABrokerCrashIsCaught) {
  const Scenario scenario = scenario_from(kVisibility);
  RunResult result = traced(scenario);
  for (MessageTrace& m : result.trace) {
    if (m.fate != "remaining" && m.fate != "processed") continue;
    // The message silently vanishes, consistently in every counter: only the design's promise is broken.
    if (m.fate == "processed") {
      std::erase_if(m.history, [](const auto& line) { return line.second.starts_with("done:"); });
      metric(result, "unique_processed").value -= 1;
      metric(result, "processed").value -= 1;
    } else {
      metric(result, "remaining").value -= 1;
    }
    m.history.emplace_back(m.history.back().first, "copy dropped:network");
    m.history.emplace_back(m.history.back().first, "lost:network");
    m.fate = "lost:network";
    metric(result, "lost").value += 1;
    metric(result, "lost_network").value += 1;
    break;
  }
  const auto violations = check_invariants(scenario, result);
  EXPECT_TRUE(violates(violations, "no_loss")) << names(violations);
  EXPECT_FALSE(violates(violations, "conservation")) << names(violations);
}

TEST(ChaosInvariants, TwoConsumersProcessingAMessageWithinItsVisibilityIsCaught) {
  const Scenario scenario = scenario_from(kVisibility);
  RunResult result = traced(scenario);
  for (MessageTrace& m : result.trace) {
    if (m.deliveries.size() != 1 || m.fate != "processed") continue;
    const auto [consumer, delivered] = m.deliveries[0];
    Time start = -1;
    for (const auto& [t, what] : m.history) {
      if (what.starts_with("start:")) start = t;
    }
    // A second consumer receives it 1ms after the first (visibility_timeout is 300ms) and processes it at once.
    const std::uint32_t other = (consumer + 1) % 3;
    m.deliveries.emplace_back(other, delivered + kMillisecond);
    m.history.emplace_back(start, "start:" + result.consumers[other].name);
    std::stable_sort(m.history.begin(), m.history.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    break;
  }
  EXPECT_TRUE(violates(check_invariants(scenario, result), "exclusive_processing"));
}

TEST(ChaosInvariants, ARedeliveryByPullIsCaught) {
  const Scenario scenario = scenario_from(R"(
name: pull
duration: 2s
queue: {design: pull}
producers: [{rate: 20/s}]
consumers: [{count: 2, service: 10ms}]
)");
  RunResult result = traced(scenario);
  EXPECT_TRUE(check_invariants(scenario, result).empty());
  metric(result, "redeliveries").value = 1;
  EXPECT_TRUE(violates(check_invariants(scenario, result), "at_most_once"));
}

TEST(ChaosInvariants, ALostConfirmedPublishUnderAcksAllIsCaughtWhenNodesFailOneAtATime) {
  const std::string yaml = R"(
name: replicated
duration: 3s
queue: {design: replicated, replicas: 3, acks: all, replication_latency: 5ms, failure_detection: 100ms}
producers: [{rate: 50/s}]
consumers: [{count: 2, service: 10ms}]
faults: [{at: 1s, action: broker_crash, target: leader, restart_after: 300ms}]
)";
  const Scenario scenario = scenario_from(yaml);
  RunResult result = traced(scenario);
  EXPECT_TRUE(check_invariants(scenario, result).empty()) << names(check_invariants(scenario, result));
  metric(result, "lost_confirmed").value = 1;
  EXPECT_TRUE(violates(check_invariants(scenario, result), "confirmed_survive"));
  // With two replicas a lost confirmed publish is no broken promise.
  const Scenario two = scenario_from(yaml, {{"queue.replicas", "2"}});
  RunResult result_two = traced(two);
  metric(result_two, "lost_confirmed").value = 1;
  EXPECT_FALSE(violates(check_invariants(two, result_two), "confirmed_survive"));
}

TEST(ChaosRunner, ACheckThatAbortsInTheChildIsReportedWithItsMessage) {
  const CaseBody aborts = [](const Scenario&) -> CaseReport {
    QLAB_CHECK(false, "planted");
    return {};
  };
  const auto verdicts = run_cases({generate_case(1)}, aborts, {});
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0].outcome, CaseVerdict::Outcome::crashed);
  EXPECT_NE(verdicts[0].message.find("planted"), std::string::npos) << verdicts[0].message;
}

TEST(ChaosRunner, ARunawayCaseIsKilledAtTheTimeLimit) {
  const CaseBody spins = [](const Scenario&) -> CaseReport {
    for (;;) ::pause();
  };
  RunLimits limits;
  limits.timeout_seconds = 0.3;
  const auto verdicts = run_cases({generate_case(1)}, spins, limits);
  EXPECT_EQ(verdicts[0].outcome, CaseVerdict::Outcome::crashed);
  EXPECT_NE(verdicts[0].message.find("time limit"), std::string::npos);
}

// A planted bug: whenever a consumer stalls, one phantom message is counted as published.
CaseReport phantom_on_stall(const Scenario& scenario) {
  RunResult result = traced(scenario);
  for (const FaultWindow& w : result.faults) {
    if (w.action == "stall") {
      metric(result, "published").value += 1;
      break;
    }
  }
  return CaseReport{check_invariants(scenario, result), 0, 0};
}

TEST(ChaosChecker, APlantedBugIsFoundAndShrunkToTheFaultThatTriggersIt) {
  CheckerOptions options;
  options.seed = 100;
  options.cases = 200;
  options.limits.jobs = 2;
  options.body = phantom_on_stall;
  const CheckSummary summary = run_checker(options);
  ASSERT_EQ(summary.failures.size(), 1u);
  const CheckFailure& failure = summary.failures[0];
  EXPECT_EQ(failure.verdict.signature(), "conservation");
  EXPECT_EQ(generate_case(failure.seed).dump(), failure.original.dump());

  const auto& shrunk = failure.shrunk.scenario;
  ASSERT_EQ(shrunk["faults"].size(), 1u) << case_yaml(shrunk);
  EXPECT_EQ(shrunk["faults"][0]["action"], "stall");
  EXPECT_GT(failure.shrunk.steps, 0u);
  EXPECT_LE(shrunk["consumers"].size(), failure.original["consumers"].size());
  EXPECT_EQ(failure.shrunk.verdict.signature(), "conservation");

  // The printed scenario reproduces the failure.
  const auto reloaded = workloads::scenario_to_json(scenario_from(case_yaml(shrunk)));
  EXPECT_EQ(run_cases({reloaded}, phantom_on_stall, {}).front().signature(), "conservation");
}

}  // namespace
}  // namespace qlab::chaos
