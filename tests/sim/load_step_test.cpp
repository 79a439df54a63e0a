// A step in the load of an M/M/4 queue (four consumers, exponential service of mean 100ms, one shared queue)
// from rho 0.5 to rho 0.9 at 100s. The queue was at the rho 0.5 equilibrium, far below the new one, so
// just after the step the backlog is still short of the new mean; after the transient (a few tens of
// seconds at this size) the mean wait of the messages published from then on is the Erlang C wait at rho
// 0.9. Tolerances come from the repetitions' 95% confidence intervals (twice the half-width, ~99.9%).
#include <cmath>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::metric_summary;
using testing::scenario_from;

double erlang_c_wait(int c, double lambda, double mu) {
  const double a = lambda / mu;
  double term = 1;
  double sum = 1;
  for (int k = 1; k < c; ++k) sum += term *= a / k;
  const double top = term * a / c * c / (c - a);
  return top / (sum + top) / (c * mu - lambda);
}

std::string step_scenario(const std::string& warmup) {
  return "name: step\nseed: 5\nrepetitions: 10\nduration: 3000s\nwarmup: " + warmup +
         "\nmetrics:\n  interval: 1s\nproducers:\n  - rate: {steps: [{at: 0s, rate: 20/s}, {at: 100s, rate: 36/s}]}\n"
         "consumers:\n  - count: 4\n    service: {dist: exponential, mean: 100ms}\n";
}

TEST(LoadStep, WaitSettlesToTheNewErlangCWait) {
  const auto runs = run_repetitions(scenario_from(step_scenario("150s")));
  const Summary wait = metric_summary(runs, "wait_mean");
  const double theory = erlang_c_wait(4, 36, 10);
  EXPECT_NEAR(wait.mean, theory, 2 * wait.ci95) << "simulated " << wait.mean << " ± " << wait.ci95 << ", theory " << theory;
  EXPECT_LT(wait.ci95, 0.1 * theory);
  // Before the step the queue sat at rho 0.5, whose wait is a small fraction of the new one.
  EXPECT_LT(erlang_c_wait(4, 20, 10), 0.1 * theory);
}

TEST(LoadStep, BacklogRisesThroughATransientAfterTheStep) {
  const auto runs = run_repetitions(scenario_from(step_scenario("0s")));
  // Mean backlog (waiting messages) over [from, to) seconds, per repetition; Little's law gives the
  // equilibrium: Lq = lambda x Wq.
  const auto mean_backlog = [&](double from, double to) {
    std::vector<double> values;
    for (const RunResult& run : runs) {
      double sum = 0;
      int n = 0;
      for (const TimeSeriesPoint& p : run.series) {
        if (to_seconds(p.t) <= from || to_seconds(p.t) > to) continue;
        sum += static_cast<double>(p.backlog);
        ++n;
      }
      values.push_back(sum / n);
    }
    return summarize(values);
  };
  const double lq_before = 20 * erlang_c_wait(4, 20, 10);
  const double lq_after = 36 * erlang_c_wait(4, 36, 10);
  const Summary before = mean_backlog(20, 100);
  const Summary first = mean_backlog(100, 102);
  const Summary settled = mean_backlog(200, 3000);
  EXPECT_NEAR(before.mean, lq_before, 2 * before.ci95);
  EXPECT_LT(first.mean + 2 * first.ci95, lq_after) << "no transient: the backlog jumped to its new level at once";
  EXPECT_NEAR(settled.mean, lq_after, 2 * settled.ci95) << "settled " << settled.mean << " ± " << settled.ci95;
}

}  // namespace
}  // namespace qlab::sim
