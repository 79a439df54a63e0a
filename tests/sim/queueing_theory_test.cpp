// The simulator against closed-form queueing results. Each check runs independent repetitions with fixed
// seeds and accepts the theoretical value when it lies within twice the 95% confidence half-width of the
// simulated mean (a ~99.9% interval), so the test is neither flaky nor loose by an arbitrary margin.
#include <cmath>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric_summary;
using testing::scenario_from;

// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.
double erlang_c(int c, double a) {
  double term = 1;
  double sum = 1;
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double top = term * a / c * c / (c - a);
  return top / (sum + top);
}

double mmc_wait(int c, double lambda, double mu) { return erlang_c(c, lambda / mu) / (c * mu - lambda); }

std::string poisson_scenario(double rate, int consumers, const std::string& service, int duration_s, int warmup_s) {
  return "name: theory\nseed: 11\nrepetitions: 8\nduration: " + std::to_string(duration_s) +
         "s\nwarmup: " + std::to_string(warmup_s) + "s\nproducers:\n  - rate: " + std::to_string(rate) +
         "/s\nconsumers:\n  - count: " + std::to_string(consumers) + "\n    service: " + service + "\n";
}

void expect_within_ci(const Summary& simulated, double theory) {
  EXPECT_NEAR(simulated.mean, theory, 2 * simulated.ci95)
      << "simulated " << simulated.mean << " ± " << simulated.ci95 << ", theory " << theory;
  EXPECT_LT(simulated.ci95, 0.1 * theory) << "the interval is too wide to say anything";
}

TEST(QueueingTheory, MM1MeanWaitMatchesTheory) {
  const auto runs = run_repetitions(scenario_from(poisson_scenario(0.8, 1, "{dist: exponential, mean: 1s}", 40000, 2000)));
  expect_within_ci(metric_summary(runs, "wait_mean"), 0.8 / (1 - 0.8));  // rho / (mu - lambda)
}

TEST(QueueingTheory, MM8MeanWaitMatchesErlangC) {
  const auto runs = run_repetitions(scenario_from(poisson_scenario(7.2, 8, "{dist: exponential, mean: 1s}", 20000, 1000)));
  expect_within_ci(metric_summary(runs, "wait_mean"), mmc_wait(8, 7.2, 1.0));
}

TEST(QueueingTheory, MD1MeanWaitMatchesPollaczekKhinchine) {
  const auto runs = run_repetitions(scenario_from(poisson_scenario(0.8, 1, "1s", 40000, 2000)));
  const double rho = 0.8;
  expect_within_ci(metric_summary(runs, "wait_mean"), rho / (2 * (1 - rho)));  // service time 1s
}

TEST(QueueingTheory, MM8UtilizationIsOfferedLoadPerServer) {
  const auto runs = run_repetitions(scenario_from(poisson_scenario(7.2, 8, "{dist: exponential, mean: 1s}", 20000, 1000)));
  expect_within_ci(metric_summary(runs, "utilization_mean"), 0.9);
}

TEST(QueueingTheory, LittlesLawHoldsOnTheTimeSeries) {
  // L = lambda * W: the time-averaged number in the system equals throughput times mean latency.
  const auto runs = run_repetitions(scenario_from(poisson_scenario(7.2, 8, "{dist: exponential, mean: 1s}", 20000, 0)));
  std::vector<double> ratio;
  for (const RunResult& run : runs) {
    double in_system = 0;
    for (const TimeSeriesPoint& p : run.series) in_system += static_cast<double>(p.backlog + p.in_flight);
    in_system /= static_cast<double>(run.series.size());
    ratio.push_back(in_system / (testing::metric(run, "throughput") * testing::metric(run, "latency_mean")));
  }
  const Summary s = summarize(ratio);
  EXPECT_NEAR(s.mean, 1.0, 2 * s.ci95 + 0.01) << "L / (lambda W) = " << s.mean << " ± " << s.ci95;
}

TEST(QueueingTheory, AutomaticWarmupCutsAnInitialBacklogAway) {
  // An M/M/1 queue at rho = 0.5 that starts with 300 messages queued: about 600 s of transient. MSER-5 must
  // cut most of it, so the measured mean wait matches the steady state (1 s) instead of the transient.
  const std::string yaml = R"(
name: transient
seed: 11
repetitions: 8
duration: 20000s
producers:
  - {name: steady, rate: 0.5/s}
  - {name: initial, arrival: batch, messages: 300}
consumers: [{service: {dist: exponential, mean: 1s}}]
)";
  const auto fixed = run_repetitions(scenario_from(yaml));
  const auto automatic = run_repetitions(scenario_from(yaml, {{"warmup", "auto"}}));
  for (const RunResult& run : automatic) {
    EXPECT_GT(testing::metric(run, "warmup"), 300.0);
    EXPECT_LT(testing::metric(run, "warmup"), 3000.0);
  }
  EXPECT_GT(metric_summary(fixed, "wait_mean").mean, 1.5);  // the transient inflates the uncut mean
  expect_within_ci(metric_summary(automatic, "wait_mean"), 0.5 / (1 - 0.5));
}

}  // namespace
}  // namespace qlab::sim
