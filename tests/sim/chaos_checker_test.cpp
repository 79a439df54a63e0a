// The randomized checker: generation is deterministic, a bounded run passes, each invariant catches a result
// doctored to break it, a crashing case is reported, and a planted bug is found and shrunk.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "chaos/checker.hpp"
#include "chaos/design_audit.hpp"
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

// A broken design: every delivery of the wrapped design is made twice, the copy under a receipt of its own.
class DoublingDesign final : public QueueDesign {
 public:
  explicit DoublingDesign(std::unique_ptr<QueueDesign> inner) : inner_(std::move(inner)) {}
  void on_consumer_joined(Time now, ConsumerId c, ActionBuffer& out) override { twice(out, [&] { inner_->on_consumer_joined(now, c, out); }); }
  void on_publish(Time now, const Message& m, ActionBuffer& out) override { twice(out, [&] { inner_->on_publish(now, m, out); }); }
  void on_pull(Time now, ConsumerId c, std::uint32_t n, ActionBuffer& out) override { twice(out, [&] { inner_->on_pull(now, c, n, out); }); }
  void on_pull_cancelled(Time now, ConsumerId c, ActionBuffer& out) override { inner_->on_pull_cancelled(now, c, out); }
  void on_ack(Time now, ConsumerId c, Receipt r, ActionBuffer& out) override { twice(out, [&] { inner_->on_ack(now, c, r, out); }); }
  void on_release(Time now, ConsumerId c, Receipt r, ActionBuffer& out) override { twice(out, [&] { inner_->on_release(now, c, r, out); }); }
  void on_extend(Time now, ConsumerId c, Receipt r, Time t, ActionBuffer& out) override { inner_->on_extend(now, c, r, t, out); }
  void on_consumer_lost(Time now, ConsumerId c, ActionBuffer& out) override { twice(out, [&] { inner_->on_consumer_lost(now, c, out); }); }
  void on_timer(Time now, ActionBuffer& out) override { twice(out, [&] { inner_->on_timer(now, out); }); }
  Time next_deadline() const override { return inner_->next_deadline(); }
  std::size_t backlog() const override { return inner_->backlog(); }
  std::size_t held() const override { return inner_->held(); }
  void for_each_held(const std::function<void(const Message&)>& visit) const override { inner_->for_each_held(visit); }

 private:
  template <class Call>
  void twice(ActionBuffer& out, Call call) {
    const std::size_t first = out.size();
    call();
    const std::size_t end = out.size();
    for (std::size_t i = first; i < end; ++i) {
      if (out[i].kind != ActionKind::deliver) continue;
      Action copy = out[i];
      copy.receipt |= Receipt{1} << 62;
      out.push_back(copy);
    }
  }
  std::unique_ptr<QueueDesign> inner_;
};

TEST(ChaosAudit, TheRegisteredDesignsPassAndADesignDeliveringTwiceIsCaught) {
  for (const char* design : {"push", "fifo_groups", "share_group"}) {
    SCOPED_TRACE(design);
    const Scenario scenario = scenario_from(case_yaml(generate_case(3, {design})));
    EXPECT_TRUE(audit_design(scenario).empty()) << names(audit_design(scenario));
    const DesignInfo& info = *find_design(design);
    auto doubled = std::make_unique<DoublingDesign>(info.make(with_defaults(info, scenario.queue.params), RandomStream(1)));
    const std::vector<Violation> violations = audit_design(scenario, std::move(doubled));
    EXPECT_TRUE(violates(violations, "custody")) << names(violations);
    if (std::string(design) == "fifo_groups") {
      EXPECT_TRUE(violates(violations, "group_in_flight")) << names(violations);
    }
  }
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
