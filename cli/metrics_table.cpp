#include "metrics_table.hpp"

#include <array>
#include <cmath>
#include <cstdio>

#include "core/histogram.hpp"

namespace qlab::cli {
namespace {

enum class Unit { count, seconds, fraction, rate };

Unit unit_of(const std::string& key) {
  if (key.starts_with("latency") || key.starts_with("wait") || key.starts_with("publish_latency") ||
      key.ends_with("_seconds") || key == "makespan" || key == "recovery_time" || key == "duration_simulated" ||
      key == "warmup" || key == "broker_queueing_delay") {
    return Unit::seconds;
  }
  if (key == "utilization_mean" || key == "idle_with_backlog" || key.ends_with("utilization")) return Unit::fraction;
  if (key == "throughput" || key == "events_per_second") return Unit::rate;
  return Unit::count;
}

std::string printf_string(const char* format, double value, const char* suffix) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value, suffix);
  return buffer;
}

constexpr std::array<const char*, 15> kMainMetrics{
    "published",   "unique_processed", "duplicates", "dead_lettered",    "lost",
    "remaining",   "latency_mean",     "latency_p50", "latency_p99",     "wait_mean",
    "throughput",  "makespan",         "utilization_mean", "idle_with_backlog", "events_per_second"};

// A percentile is a histogram bucket's midpoint: when every repetition gave the same one, its 95% interval is
// 0 only to within the bucket. Returns the bucket's width (seconds) then, else 0.
double bucket_width(const std::string& key, const nlohmann::ordered_json& summary) {
  const bool percentile = key.find("_p") != std::string::npos && unit_of(key) == Unit::seconds;
  const double value = summary.at("min").get<double>();
  if (!percentile || summary.at("ci95").get<double>() != 0 || value != summary.at("max").get<double>() || value <= 0) {
    return 0;
  }
  const std::size_t bucket = Histogram::bucket_of(std::llround(value * 1e9));
  return static_cast<double>(Histogram::bucket_upper(bucket) - Histogram::bucket_lower(bucket)) / 1e9;
}

}  // namespace

std::string format_metric_value(const std::string& key, double value) {
  switch (unit_of(key)) {
    case Unit::seconds: {
      const double magnitude = std::fabs(value);
      if (magnitude == 0) return "0 s";
      if (magnitude < 1e-6) return printf_string("%.3g %s", value * 1e9, "ns");
      if (magnitude < 1e-3) return printf_string("%.3g %s", value * 1e6, "us");
      if (magnitude < 1) return printf_string("%.3g %s", value * 1e3, "ms");
      return printf_string("%.4g %s", value, "s");
    }
    case Unit::fraction:
      return printf_string("%.1f %s", value * 100, "%");
    case Unit::rate:
      return printf_string("%.4g %s", value, "/s");
    case Unit::count:
      return value == std::floor(value) && std::fabs(value) < 1e15 ? printf_string("%.0f%s", value, "")
                                                                    : printf_string("%.4g%s", value, "");
  }
  return "";
}

std::string format_metrics_table(const nlohmann::ordered_json& metrics, std::size_t repetitions) {
  std::string out;
  std::string bucket_note;
  char line[160];
  std::snprintf(line, sizeof line, "  %-18s %14s %14s %14s %14s\n", "metric", "mean", "±95% CI", "min", "max");
  out += line;
  for (const char* key : kMainMetrics) {
    if (!metrics.contains(key)) continue;
    const auto& m = metrics.at(key);
    if (m.at("mean").is_null()) {
      std::snprintf(line, sizeof line, "  %-18s %14s   (%s)\n", key, "n/a", m.value("reason", std::string()).c_str());
      out += line;
      continue;
    }
    const double mean = m.at("mean").get<double>();
    const double ci95 = m.at("ci95").get<double>();
    std::string ci = repetitions < 2 ? "n/a" : format_metric_value(key, ci95);
    if (const double width = bucket_width(key, m); repetitions >= 2 && width > 0) {
      ci = "< " + format_metric_value(key, width);
      bucket_note += std::string(bucket_note.empty() ? "" : ", ") + key;
    }
    std::snprintf(line, sizeof line, "  %-18s %14s %14s %14s %14s\n", key, format_metric_value(key, mean).c_str(),
                  ci.c_str(), format_metric_value(key, m.at("min").get<double>()).c_str(),
                  format_metric_value(key, m.at("max").get<double>()).c_str());
    out += line;
  }
  if (repetitions < 2) out += "  (one repetition: no confidence interval; add --reps)\n";
  if (!bucket_note.empty()) {
    out += "  (" + bucket_note +
           ": every repetition fell in the same histogram bucket; the interval is below its width, the resolution)\n";
  }
  return out;
}

std::vector<std::string> main_metric_keys() { return {kMainMetrics.begin(), kMainMetrics.end()}; }

}  // namespace qlab::cli
