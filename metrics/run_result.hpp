#pragma once
// What one repetition of a scenario produced, in simulation or live alike: the flat metrics of
// docs/METRICS.md, the latency and wait histograms, the time series, per-consumer figures and fault windows.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "core/time.hpp"

namespace qlab {

// The value of a metric that had no samples (latency when no message completed, or when warm-up discarded
// every one): written as null and shown as n/a, never as a 0 that reads like a measurement.
inline constexpr double kNoSamples = std::numeric_limits<double>::quiet_NaN();
inline bool has_samples(double value) { return !std::isnan(value); }
// `value`, a statistic of `h`, or kNoSamples when `h` is empty.
inline double sampled(const Histogram& h, double value) { return h.count() > 0 ? value : kNoSamples; }

struct Metric {
  std::string key;
  double value = 0;  // kNoSamples when there was nothing to measure
};

// A metric this mode cannot measure: written as null with the reason, never silently left out.
struct UnmeasuredMetric {
  std::string key;
  std::string reason;
};

// One interval of the time series, ending at `t`: quantities of state are their time-weighted means over the
// interval, counts what happened in it.
struct TimeSeriesPoint {
  Time t = 0;
  double backlog = 0;
  double in_flight = 0;
  std::int64_t published = 0;
  std::int64_t processed = 0;
  double busy_consumers = 0;
  double alive_consumers = 0;
  std::int64_t backlog_max = 0;
  std::int64_t in_flight_max = 0;
};

struct ConsumerFigures {
  std::string name;  // group[index]
  std::string group;
  Time busy = 0;
  Time alive = 0;
  Time idle_with_backlog = 0;
  std::uint64_t processed = 0;
};

// One producer or consumer group's figures in one repetition (summary.json groups, docs/METRICS.md).
struct GroupFigures {
  std::string name;
  std::vector<Metric> metrics;
};

struct FaultWindow {
  std::string action;
  std::string target;  // the concrete member, e.g. fast[3]
  Time start = 0;
  Time end = 0;        // the end of the run when the fault never healed
};

// One message's life, kept only with --trace.
struct MessageTrace {
  std::uint64_t id = 0;
  Time published = -1;
  std::vector<std::pair<std::uint32_t, Time>> deliveries;  // (consumer index, time)
  Time completed = -1;                                     // first completed processing
  std::string fate;  // processed | dead_lettered | lost:<cause> | remaining | never_accepted
  std::vector<std::pair<Time, std::string>> history;       // what happened to it, in order
};

struct RunResult {
  std::uint32_t repetition = 0;
  std::uint64_t seed = 0;
  std::vector<Metric> metrics;  // in the order of RESULTS.md
  std::vector<UnmeasuredMetric> unmeasured;
  Histogram latency;            // nanoseconds
  Histogram wait;               // nanoseconds
  std::vector<TimeSeriesPoint> series;
  std::vector<ConsumerFigures> consumers;
  std::vector<GroupFigures> producer_groups;
  std::vector<GroupFigures> consumer_groups;
  std::vector<FaultWindow> faults;
  std::vector<MessageTrace> trace;  // empty without --trace
  std::string incomplete;           // why this repetition ended early (a process died unscheduled); "" = complete

  // The value of `key` (kNoSamples when it had none); nullopt when absent.
  std::optional<double> metric(const std::string& key) const;
};

}  // namespace qlab
