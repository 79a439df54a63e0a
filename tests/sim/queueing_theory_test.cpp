// The simulator against closed-form queueing results. Each check runs independent repetitions with fixed
// seeds and accepts the theoretical value when it lies within twice the 95% confidence half-width of the
// simulated mean (a ~99.9% interval), so the test is neither flaky nor loose by an arbitrary margin.
#include <cmath>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::expect_within_ci;
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

// The time average of the number in the system (queued or at a consumer) from the time series: each point
// holds its interval's time-weighted means, so the points weigh by their intervals' lengths.
double time_average_in_system(const RunResult& run) {
  double area = 0;
  Time previous = 0;
  for (const TimeSeriesPoint& p : run.series) {
    area += (p.backlog + p.in_flight) * static_cast<double>(p.t - previous);
    previous = p.t;
  }
  return area / static_cast<double>(previous);
}

// L / (lambda W) per repetition: throughput times mean latency against the series' time average. A drained
// run starts and ends empty, so on each sample path the two agree up to rounding.
Summary littles_ratio(const std::vector<RunResult>& runs) {
  std::vector<double> ratio;
  for (const RunResult& run : runs) {
    ratio.push_back(time_average_in_system(run) /
                    (testing::metric(run, "throughput") * testing::metric(run, "latency_mean")));
  }
  return summarize(ratio);
}

TEST(QueueingTheory, LittlesLawHoldsOnTheTimeSeries) {
  const Summary s = littles_ratio(
      run_repetitions(scenario_from(poisson_scenario(7.2, 8, "{dist: exponential, mean: 1s}", 20000, 0))));
  EXPECT_NEAR(s.mean, 1.0, 2 * s.ci95 + 1e-6) << "L / (lambda W) = " << s.mean << " ± " << s.ci95;
}

TEST(QueueingTheory, LittlesLawHoldsOnADM1SeriesAtOneSecondIntervals) {
  // Deterministic arrivals every 1.25 s: instantaneous samples at whole seconds see the queue at a few phases
  // of the arrival cycle only (biased by several percent); interval means see all of it.
  const Summary s = littles_ratio(run_repetitions(scenario_from(R"(
name: dm1
seed: 5
repetitions: 8
duration: 4000s
metrics: {interval: 1s}
producers: [{arrival: constant, rate: 0.8/s}]
consumers: [{service: {dist: exponential, mean: 1s}}]
)")));
  EXPECT_NEAR(s.mean, 1.0, 2 * s.ci95 + 1e-6) << "L / (lambda W) = " << s.mean << " ± " << s.ci95;
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
