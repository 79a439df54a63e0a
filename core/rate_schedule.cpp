#include "rate_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace qlab {
namespace {

double seconds_between(Time a, Time b) { return static_cast<double>(b - a) / static_cast<double>(kSecond); }

// Time `x` seconds after `t`, kNever when beyond the clock.
Time after(Time t, double x) {
  const double ns = std::ceil(x * static_cast<double>(kSecond));
  if (ns >= static_cast<double>(kNever - t)) return kNever;
  return t + static_cast<Time>(ns);
}

// The segment from t on the line through (a, ra) and (b, rb), a <= t < b.
RateSchedule::Segment on_line(Time t, Time a, double ra, Time b, double rb) {
  const double slope = (rb - ra) / seconds_between(a, b);
  return {ra + slope * seconds_between(a, t), slope, b};
}

}  // namespace

RateSchedule::Segment RateSchedule::segment(Time t) const {
  switch (kind) {
    case Kind::steps:
    case Kind::ramp: {
      // The last point at or before t (the first is at 0).
      const auto next = std::upper_bound(points.begin(), points.end(), t, [](Time v, const Point& p) { return v < p.at; });
      const Point& here = *(next - 1);
      if (next == points.end()) return {here.rate, 0, kNever};
      if (kind == Kind::steps) return {here.rate, 0, next->at};
      return on_line(t, here.at, here.rate, next->at, next->rate);
    }
    case Kind::on_off: {
      if (t < start) return {low, 0, start};
      const Time cycle_start = t - (t - start) % period;
      if (t - cycle_start < on) return {high, 0, cycle_start + on};
      return {low, 0, cycle_start + period};
    }
    case Kind::sine: {
      if (t < start) return {mean, 0, start};
      const Time offset = (t - start) % period;
      const Time cycle_start = t - offset;
      // floor(period x k / kSineChords), exactly and without overflow.
      const auto chord_start = [&](std::int64_t k) {
        return period / kSineChords * k + period % kSineChords * k / kSineChords;
      };
      std::int64_t k = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(static_cast<double>(offset) / static_cast<double>(period) * kSineChords), 0, kSineChords - 1);
      while (k > 0 && chord_start(k) > offset) --k;
      while (k + 1 < kSineChords && chord_start(k + 1) <= offset) ++k;
      const auto rate_of = [&](std::int64_t i) {
        return mean + amplitude * std::sin(2 * std::numbers::pi * static_cast<double>(i) / kSineChords);
      };
      return on_line(t, cycle_start + chord_start(k), rate_of(k), cycle_start + chord_start(k + 1), rate_of(k + 1));
    }
  }
  return {};
}

double RateSchedule::peak() const {
  switch (kind) {
    case Kind::steps:
    case Kind::ramp: {
      double top = 0;
      for (const Point& p : points) top = std::max(top, p.rate);
      return top;
    }
    case Kind::on_off: return std::max(high, low);
    case Kind::sine: return mean + amplitude;
  }
  return 0;
}

std::optional<Time> RateSchedule::last_drop(Time before) const {
  std::optional<Time> drop;
  switch (kind) {
    case Kind::steps:
    case Kind::ramp:
      for (std::size_t i = 1; i < points.size(); ++i) {
        // A step drops at its point; a downward ramp has dropped at its end.
        const bool down = points[i].rate < points[i - 1].rate;
        if (down && points[i].at < before) drop = points[i].at;
      }
      break;
    case Kind::on_off: {
      if (high <= low || before <= start + on) break;
      const Time cycle_start = before - 1 - (before - 1 - start) % period;
      drop = before - cycle_start > on ? cycle_start + on : cycle_start - off;
      break;
    }
    case Kind::sine:
      break;
  }
  return drop;
}

double RateSchedule::per_period() const {
  switch (kind) {
    case Kind::on_off: return high * seconds_between(0, on) + low * seconds_between(0, off);
    case Kind::sine: return mean * seconds_between(0, period);  // the chords' trapezoids sum to exactly this
    default: return 0;
  }
}

Time RateSchedule::advance(Time from, double amount) const {
  Time t = from;
  double need = amount;
  const double cycle = per_period();
  while (true) {
    if (cycle > 0 && t >= start && need > 2 * cycle) {
      // Skip whole periods: each holds exactly `cycle` wherever it begins.
      const double skip = std::floor(need / cycle) - 1;
      if (skip >= static_cast<double>((kNever - t) / period)) return kNever;
      t += static_cast<Time>(skip) * period;
      need -= skip * cycle;
    }
    const Segment s = segment(t);
    if (s.until == kNever) {
      if (s.rate <= 0) return kNever;
      return after(t, need / s.rate);
    }
    const double length = seconds_between(t, s.until);
    const double got = s.rate * length + 0.5 * s.slope * length * length;
    if (got >= need) {
      // Solve rate x + slope x^2 / 2 = need for the root in [0, length] (stable for either sign of slope).
      const double root = std::sqrt(std::max(0.0, s.rate * s.rate + 2 * s.slope * need));
      const double x = need <= 0 ? 0 : 2 * need / (s.rate + root);
      return std::min(after(t, std::min(x, length)), s.until);
    }
    need -= got;
    t = s.until;
  }
}

}  // namespace qlab
