#pragma once
// A producer's rate over scenario time (messages per second per producer): steps, linear ramps, on/off
// bursts, or a sine around a mean (diurnal load). The rate is piecewise linear in time: steps and on/off are
// piecewise constant, a ramp is linear between its points, and a sine follows kSineChords chords per period
// (the chords' rate is within 0.13% of the amplitude of the true sine, and a whole period holds exactly
// mean x period messages on average).
#include <cstdint>
#include <optional>
#include <vector>

#include "time.hpp"

namespace qlab {

struct RateSchedule {
  enum class Kind { steps, ramp, on_off, sine };
  struct Point {
    Time at = 0;
    double rate = 0;
  };
  // The piece of the schedule that holds at a time t: rate(t') = rate + slope x (t' - t) in seconds, on [t, until).
  struct Segment {
    double rate = 0;
    double slope = 0;   // per second per second
    Time until = kNever;
  };
  static constexpr std::int64_t kSineChords = 64;

  Kind kind = Kind::steps;
  std::vector<Point> points;  // steps, ramp: the first at 0, strictly increasing; the last rate holds after
  Time on = 0;                // on_off: cycles of `on` at `high` then `off` at `low`, from `start`
  Time off = 0;
  Time start = 0;             // on_off: before it, `low`
  double high = 0;
  double low = 0;
  double mean = 0;            // sine: mean + amplitude x sin(2 pi (t - start) / period), amplitude <= mean
  double amplitude = 0;
  Time period = 0;            // on_off: on + off; sine: the period

  Segment segment(Time t) const;
  double rate_at(Time t) const { return segment(t).rate; }
  double peak() const;
  // When the last burst before `before` ended: the last step down, the end of the last downward ramp, the
  // end of the last on period; nullopt for a sine or a schedule that never drops before then.
  std::optional<Time> last_drop(Time before) const;
  // The earliest time at which the rate integrated from `from` reaches `amount` messages (amount >= 0);
  // kNever if it never does. Whole periods of on/off and sine schedules are skipped in one step.
  Time advance(Time from, double amount) const;

 private:
  // on_off and sine: messages per period (from `start` on); 0 for the others.
  double per_period() const;
};

}  // namespace qlab
