// Time-varying arrival processes against their expected counts. For each schedule, the arrivals of 200
// producers (fixed seed) are counted per window and compared with the integral of the rate, computed here
// independently of RateSchedule (Simpson's rule on the rate written out as a formula). A Poisson count with
// mean m has standard deviation sqrt(m); each window must lie within 4 standard deviations, a two-sided
// level of 6e-5 per window, so that all the windows of this file together (under 100) hold at a 99.4%
// level (Bonferroni). Constant spacing must match the integral to within one arrival per producer.
#include <cmath>
#include <functional>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>

#include "core/arrival_process.hpp"

namespace qlab {
namespace {

constexpr int kProducers = 200;
constexpr Time kDuration = 120 * kSecond;
constexpr Time kWindow = 10 * kSecond;

using RateFormula = std::function<double(double)>;  // messages per second at t seconds

double integral(const RateFormula& rate, double a, double b) {
  const int n = 2000;  // even
  const double h = (b - a) / n;
  double sum = rate(a) + rate(b);
  for (int i = 1; i < n; ++i) sum += rate(a + i * h) * (i % 2 == 1 ? 4 : 2);
  return sum * h / 3;
}

// Arrivals per window, over all producers.
std::vector<double> counts(const ProducerGroup& group) {
  std::vector<double> per_window(kDuration / kWindow, 0);
  for (int p = 0; p < kProducers; ++p) {
    ArrivalProcess arrivals(group, kDuration, RandomStream::derive(7, "producer/" + std::to_string(p) + "/arrivals"));
    for (Time t = arrivals.next(0); t != kNever; t = arrivals.next(t)) {
      arrivals.on_published();
      per_window[static_cast<std::size_t>(t / kWindow)] += 1;
    }
  }
  return per_window;
}

void expect_counts(const ProducerGroup& group, const RateFormula& rate) {
  const std::vector<double> got = counts(group);
  for (std::size_t w = 0; w < got.size(); ++w) {
    const double a = to_seconds(static_cast<Time>(w) * kWindow);
    const double expected = kProducers * integral(rate, a, a + to_seconds(kWindow));
    const double tolerance = group.arrival == Arrival::poisson ? 4 * std::sqrt(expected) : kProducers;
    EXPECT_NEAR(got[w], expected, tolerance) << "window " << w << " from " << a << "s";
  }
}

ProducerGroup scheduled(Arrival arrival, const RateSchedule& schedule) {
  ProducerGroup g;
  g.arrival = arrival;
  g.schedule = schedule;
  g.rate = schedule.peak();
  return g;
}

RateSchedule steps() {
  RateSchedule r;
  r.kind = RateSchedule::Kind::steps;
  r.points = {{0, 2}, {35 * kSecond, 10}, {70 * kSecond, 0}, {90 * kSecond, 5}};
  return r;
}
double steps_rate(double t) { return t < 35 ? 2 : t < 70 ? 10 : t < 90 ? 0 : 5; }

RateSchedule ramp() {
  RateSchedule r;
  r.kind = RateSchedule::Kind::ramp;
  r.points = {{0, 1}, {60 * kSecond, 9}, {100 * kSecond, 3}};
  return r;
}
double ramp_rate(double t) { return t < 60 ? 1 + 8 * t / 60 : t < 100 ? 9 - 6 * (t - 60) / 40 : 3; }

RateSchedule on_off() {
  RateSchedule r;
  r.kind = RateSchedule::Kind::on_off;
  r.on = 5 * kSecond;
  r.off = 15 * kSecond;
  r.period = 20 * kSecond;
  r.high = 8;
  r.low = 1;
  r.start = 3 * kSecond;
  return r;
}
double on_off_rate(double t) { return t >= 3 && std::fmod(t - 3, 20) < 5 ? 8 : 1; }

RateSchedule sine() {
  RateSchedule r;
  r.kind = RateSchedule::Kind::sine;
  r.mean = 5;
  r.amplitude = 4;
  r.period = 60 * kSecond;
  return r;
}
double sine_rate(double t) { return 5 + 4 * std::sin(2 * std::numbers::pi * t / 60); }

TEST(ArrivalProcess, PoissonStepsMatchTheRatePerWindow) { expect_counts(scheduled(Arrival::poisson, steps()), steps_rate); }
TEST(ArrivalProcess, PoissonRampMatchesTheRatePerWindow) { expect_counts(scheduled(Arrival::poisson, ramp()), ramp_rate); }
TEST(ArrivalProcess, PoissonOnOffMatchesTheRatePerWindow) { expect_counts(scheduled(Arrival::poisson, on_off()), on_off_rate); }
TEST(ArrivalProcess, PoissonSineMatchesTheRatePerWindow) { expect_counts(scheduled(Arrival::poisson, sine()), sine_rate); }
TEST(ArrivalProcess, ConstantStepsMatchTheRatePerWindow) { expect_counts(scheduled(Arrival::constant, steps()), steps_rate); }
TEST(ArrivalProcess, ConstantSineMatchesTheRatePerWindow) { expect_counts(scheduled(Arrival::constant, sine()), sine_rate); }

TEST(ArrivalProcess, NoArrivalWhileTheRateIsZero) {
  const ProducerGroup g = scheduled(Arrival::poisson, steps());
  ArrivalProcess arrivals(g, kDuration, RandomStream::derive(3, "a"));
  for (Time t = arrivals.next(0); t != kNever; t = arrivals.next(t)) {
    arrivals.on_published();
    EXPECT_FALSE(t >= 70 * kSecond && t < 90 * kSecond) << t;
  }
}

TEST(ArrivalProcess, ConstantSpacingFollowsTheCurrentRate) {
  const ProducerGroup g = scheduled(Arrival::constant, steps());
  ArrivalProcess arrivals(g, kDuration, RandomStream::derive(3, "a"));
  EXPECT_EQ(arrivals.next(0), 500 * kMillisecond);                  // 2/s
  EXPECT_EQ(arrivals.next(35 * kSecond), 35 * kSecond + 100 * kMillisecond);  // 10/s
  EXPECT_EQ(arrivals.next(69'950 * kMillisecond), 90 * kSecond + 100 * kMillisecond);  // half a message at 10/s, then 5/s
}

TEST(ArrivalProcess, AScheduleThatStaysAtZeroEnds) {
  RateSchedule r;
  r.kind = RateSchedule::Kind::steps;
  r.points = {{0, 1}, {10 * kSecond, 0}};
  const ProducerGroup g = scheduled(Arrival::poisson, r);
  ArrivalProcess arrivals(g, std::nullopt, RandomStream::derive(3, "a"));
  EXPECT_EQ(arrivals.next(10 * kSecond), kNever);
}

TEST(ArrivalProcess, ATraceReplaysScaledAndLooped) {
  auto trace = std::make_shared<ArrivalTrace>();
  trace->times = {0, 1 * kSecond, 3 * kSecond};
  trace->period = 4500 * kMillisecond;  // the last time plus the mean gap
  trace->time_scale = 2;
  trace->loop = true;
  ProducerGroup g;
  g.arrival = Arrival::trace;
  g.trace = trace;
  ArrivalProcess arrivals(g, 20 * kSecond, RandomStream::derive(3, "a"));
  std::vector<Time> times;
  for (Time t = arrivals.next(0); t != kNever; t = arrivals.next(t)) {
    times.push_back(t);
    arrivals.on_published();
  }
  EXPECT_EQ(times, (std::vector<Time>{0, 2 * kSecond, 6 * kSecond, 9 * kSecond, 11 * kSecond, 15 * kSecond, 18 * kSecond}));
  trace->loop = false;
  ArrivalProcess once(g, std::nullopt, RandomStream::derive(3, "a"));
  once.on_restart(1 * kSecond);  // the row at 0 fell before the restart: it is not replayed
  EXPECT_EQ(once.next(1 * kSecond), 2 * kSecond);
  once.on_published();
  once.on_published();
  EXPECT_EQ(once.next(6 * kSecond), kNever);
}

}  // namespace
}  // namespace qlab
