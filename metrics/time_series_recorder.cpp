#include "time_series_recorder.hpp"

namespace qlab {
namespace {
constexpr Time kInitialInterval = 1000;  // 1us
constexpr std::size_t kMaxPoints = 1000;
}  // namespace

TimeSeriesRecorder::TimeSeriesRecorder(std::optional<Time> fixed_interval)
    : adaptive_(!fixed_interval), interval_(fixed_interval.value_or(kInitialInterval)), next_boundary_(interval_) {}

void TimeSeriesRecorder::close_intervals_until(Time now, const SystemState& state) {
  while (next_boundary_ <= now) {
    accumulate(next_boundary_, state);
    push(next_boundary_, interval_);
    next_boundary_ += interval_;
    // 1, 2, 10, 20, 100, ...: the leading digit says which step is next.
    if (adaptive_ && points_.size() > kMaxPoints) {
      Time leading = interval_;
      while (leading >= 10) leading /= 10;
      coarsen(leading == 1 ? 2 : 5);
    }
  }
}

void TimeSeriesRecorder::push(Time t, Time length) {
  const double ns = length > 0 ? static_cast<double>(length) : 1;  // a zero-length run has no areas
  points_.push_back({t, open_.backlog / ns, open_.in_flight / ns, published_, processed_, open_.busy / ns,
                     open_.alive / ns, open_.backlog_max, open_.in_flight_max});
  open_ = Open{};
  published_ = 0;
  processed_ = 0;
}

void TimeSeriesRecorder::coarsen(std::int64_t factor) {
  const auto group = static_cast<std::size_t>(factor);
  const std::size_t whole = points_.size() / group * group;
  std::vector<TimeSeriesPoint> merged;
  merged.reserve(whole / group);
  for (std::size_t first = 0; first < whole; first += group) {
    TimeSeriesPoint p = points_[first + group - 1];  // the group ends where its last point does
    p.backlog = p.in_flight = p.busy_consumers = p.alive_consumers = 0;
    p.published = p.processed = 0;
    for (std::size_t i = first; i < first + group; ++i) {
      const TimeSeriesPoint& q = points_[i];
      // Equal lengths: the group's mean is the mean of its points' means.
      p.backlog += q.backlog / static_cast<double>(factor);
      p.in_flight += q.in_flight / static_cast<double>(factor);
      p.busy_consumers += q.busy_consumers / static_cast<double>(factor);
      p.alive_consumers += q.alive_consumers / static_cast<double>(factor);
      p.backlog_max = std::max(p.backlog_max, q.backlog_max);
      p.in_flight_max = std::max(p.in_flight_max, q.in_flight_max);
      p.published += q.published;
      p.processed += q.processed;
    }
    merged.push_back(p);
  }
  // The points after the last whole group begin the open interval, which is now `factor` times longer.
  const auto length = static_cast<double>(interval_);
  for (std::size_t i = whole; i < points_.size(); ++i) {
    const TimeSeriesPoint& q = points_[i];
    open_.backlog += q.backlog * length;
    open_.in_flight += q.in_flight * length;
    open_.busy += q.busy_consumers * length;
    open_.alive += q.alive_consumers * length;
    open_.backlog_max = std::max(open_.backlog_max, q.backlog_max);
    open_.in_flight_max = std::max(open_.in_flight_max, q.in_flight_max);
    published_ += q.published;
    processed_ += q.processed;
  }
  points_ = std::move(merged);
  interval_ *= factor;
  next_boundary_ = (points_.empty() ? 0 : points_.back().t) + interval_;
}

std::vector<TimeSeriesPoint> TimeSeriesRecorder::finish(Time end, const SystemState& state) {
  observe(end, state);
  const Time start = next_boundary_ - interval_;  // of the open interval
  if (end > start || points_.empty()) {
    push(end, end - start);
  } else {
    // The run ended on a boundary: what happened at that instant belongs to the last interval.
    points_.back().published += published_;
    points_.back().processed += processed_;
  }
  return std::move(points_);
}

}  // namespace qlab
