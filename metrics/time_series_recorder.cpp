#include "time_series_recorder.hpp"

namespace qlab {
namespace {
constexpr Time kInitialInterval = 1000;  // 1us
constexpr std::size_t kMaxPoints = 400;
}  // namespace

TimeSeriesRecorder::TimeSeriesRecorder(std::optional<Time> fixed_interval)
    : adaptive_(!fixed_interval), interval_(fixed_interval.value_or(kInitialInterval)) {}

void TimeSeriesRecorder::sample_until(Time now, const SystemState& state) {
  while (next_sample_ <= now) {
    push(next_sample_, state);
    next_sample_ += interval_;
    if (adaptive_ && points_.size() > kMaxPoints) halve_resolution();
  }
}

void TimeSeriesRecorder::push(Time t, const SystemState& state) {
  points_.push_back({t, state.backlog, state.in_flight, published_, processed_, state.busy_consumers,
                     state.alive_consumers});
  published_ = 0;
  processed_ = 0;
}

void TimeSeriesRecorder::halve_resolution() {
  // Keep the points at even multiples of the old interval; their counts absorb the odd neighbours'.
  std::vector<TimeSeriesPoint> merged;
  merged.reserve(points_.size() / 2 + 1);
  merged.push_back(points_[0]);
  for (std::size_t i = 2; i < points_.size(); i += 2) {
    TimeSeriesPoint p = points_[i];
    p.published += points_[i - 1].published;
    p.processed += points_[i - 1].processed;
    merged.push_back(p);
  }
  if (points_.size() % 2 == 0) {
    // The last odd point has no even partner yet: its counts carry into the next sample.
    published_ += points_.back().published;
    processed_ += points_.back().processed;
  }
  points_ = std::move(merged);
  interval_ *= 2;
  next_sample_ = points_.back().t + interval_;
}

std::vector<TimeSeriesPoint> TimeSeriesRecorder::finish(Time end, const SystemState& state) {
  sample_until(end, state);
  if (points_.empty() || points_.back().t < end || published_ != 0 || processed_ != 0) {
    if (!points_.empty() && points_.back().t == end) {
      points_.back().published += published_;
      points_.back().processed += processed_;
    } else {
      push(end, state);
    }
  }
  return std::move(points_);
}

}  // namespace qlab
