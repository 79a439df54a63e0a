#include "bench/suite_plot.hpp"

#include <algorithm>
#include <charconv>

#include "workloads/did_you_mean.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_override.hpp"

namespace qlab::bench {
namespace {

using workloads::Field;
using workloads::MapView;
using workloads::NodeReader;

const std::vector<std::string> kPlotKeys{"x",      "x_label", "x_scale", "log_x",      "log_y",     "invert_x",
                                         "metrics", "theory", "at",      "timeseries", "drain_time"};
const std::vector<std::string> kTheoryModels{"mmc", "per_consumer_mm1", "supermarket_d2"};
// The columns of timeseries.csv a figure can draw (docs/METRICS.md).
const std::vector<std::string> kTimeSeriesColumns{"backlog", "in_flight", "published", "processed", "busy_consumers",
                                                  "alive_consumers"};
// Drain time is measured on the backlog: from the end of the last fault window until it is back to its level before.
const std::vector<std::string> kDrainColumns{"backlog"};

// A YAML value as JSON: plain scalars that read as numbers or booleans become numbers and booleans.
nlohmann::ordered_json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (const auto& entry : node) object[entry.first.Scalar()] = to_json(entry.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& item : node) array.push_back(to_json(item));
    return array;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: a string whatever it looks like
  const char* end = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [p, ec] = std::from_chars(text.data(), end, integer); ec == std::errc{} && p == end) return integer;
  double number = 0;
  if (auto [p, ec] = std::from_chars(text.data(), end, number); ec == std::errc{} && p == end) return number;
  if (text == "true" || text == "false") return text == "true";
  return text;
}

// A swept path of the run, in canonical form; `what` names the key for the message.
std::string swept_path(const NodeReader& read, const Field& f, const std::vector<std::string>& swept, const std::string& text,
                       const std::string& what) {
  if (swept.empty()) read.fail(f, what + " '" + text + "' but this run sweeps nothing", "a sweep or zip in the run");
  std::string path = text;
  try {
    path = workloads::format_path(workloads::parse_path(text));
  } catch (const workloads::ScenarioError&) {
    // not a path at all: reported below with the paths that would do
  }
  if (std::find(swept.begin(), swept.end(), path) != swept.end()) return path;
  const std::string near = workloads::closest_match(text, swept);
  read.source().fail(f.mark, f.path, what + " '" + text + "' is not swept in this run (" +
                                         (near.empty() ? "" : "did you mean '" + near + "'? ") + "expected one of " +
                                         workloads::join(swept) + ")");
}

nlohmann::ordered_json choices(const NodeReader& read, const Field& f, const std::vector<std::string>& known,
                               const std::string& what) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Field& item : read.list(f, "a list of " + what + "s, e.g. [" + known.front() + "]")) {
    out.push_back(read.choice(item, known, what));
  }
  return out;
}

// The values a swept path takes: its column of the axis that holds it.
std::vector<std::string> values_of(const std::vector<Axis>& axes, const std::string& path) {
  std::vector<std::string> values;
  for (const Axis& axis : axes) {
    for (std::size_t c = 0; c < axis.columns.size(); ++c) {
      if (axis.columns[c].path != path) continue;
      for (const auto& row : axis.rows) values.push_back(row[c]);
    }
  }
  return values;
}

}  // namespace

const std::vector<std::string>& known_metric_keys() {
  static const std::vector<std::string> keys{
      "published", "deliveries", "redeliveries", "processed", "unique_processed", "duplicates", "dead_lettered", "lost",
      "lost_consumer_crash", "lost_broker_crash", "lost_network", "lost_confirmed", "refused_publishes",
      "retried_publishes", "lost_unconfirmed_publish", "lost_network_publish", "publish_latency_mean",
      "publish_latency_p99", "stale_acks", "remaining", "latency_mean", "latency_p50", "latency_p90", "latency_p99",
      "latency_p999", "latency_max", "wait_mean", "wait_p99", "throughput", "makespan", "utilization_mean",
      "idle_with_backlog", "unavailable_seconds", "recovery_time", "faults", "duration_simulated", "warmup", "events",
      "wall_seconds", "events_per_second", "time_scale", "burst_drain_time", "consumer_seconds", "slo_violation_seconds",
      "scale_events", "failed_processing", "dead_lettered_max_receives", "dead_lettered_expired", "dead_lettered_overflow",
      "dropped", "dropped_expired", "dropped_overflow", "dropped_failed", "expired", "time_to_dead_letter_mean",
      "time_to_dead_letter_p99", "broker_utilization", "broker_queueing_delay"};
  return keys;
}

nlohmann::ordered_json read_plot_map(const NodeReader& read, const Field& field, const std::vector<Axis>& axes) {
  std::vector<std::string> swept;
  for (const Axis& axis : axes) {
    for (const Param& p : axis.columns) swept.push_back(p.path);
  }
  const MapView m = read.map(field, "a map describing the figure, e.g. {x: PATH, metrics: [makespan]}");
  m.check_known(kPlotKeys, "a plot map");
  nlohmann::ordered_json plot = to_json(field.node);
  for (const auto& [key, f] : m.entries()) {
    if (key == "x") {
      plot[key] = swept_path(read, f, swept, read.string(f, "a swept path"), "x");
    } else if (key == "x_label") {
      read.string(f, "an axis label");
    } else if (key == "x_scale") {
      if (read.number(f) <= 0) read.fail(f, "'" + f.node.Scalar() + "' is out of range", "a number > 0");
    } else if (key == "log_x" || key == "log_y" || key == "invert_x") {
      plot[key] = read.flag(f);
    } else if (key == "metrics") {
      plot[key] = choices(read, f, known_metric_keys(), "metric");
    } else if (key == "theory") {
      plot[key] = choices(read, f, kTheoryModels, "theory model");
    } else if (key == "timeseries") {
      plot[key] = choices(read, f, kTimeSeriesColumns, "time-series column");
    } else if (key == "drain_time") {
      plot[key] = read.choice(f, kDrainColumns, "drain-time column");
    } else if (key == "at") {
      const MapView at = read.map(f, "a map from swept path to one of its values");
      nlohmann::ordered_json values = nlohmann::ordered_json::object();
      for (const auto& [path, value] : at.entries()) {
        const Field key_place{value.node, value.path, value.key_mark, value.key_mark};
        const std::string canonical = swept_path(read, key_place, swept, path, "at");
        read.choice(value, values_of(axes, canonical), "value of " + canonical);
        values[canonical] = to_json(value.node);
      }
      plot[key] = values;
    }
  }
  return plot;
}

}  // namespace qlab::bench
