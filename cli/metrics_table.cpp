#include "metrics_table.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace qlab::cli {
namespace {

enum class Unit { count, seconds, fraction, rate };

Unit unit_of(const std::string& key) {
  if (key.starts_with("latency") || key.starts_with("wait") || key.starts_with("publish_latency") ||
      key.ends_with("_seconds") || key == "makespan" || key == "recovery_time" || key == "duration_simulated" ||
      key == "warmup") {
    return Unit::seconds;
  }
  if (key == "utilization_mean" || key == "idle_with_backlog") return Unit::fraction;
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

std::string format_metrics_table(const nlohmann::ordered_json& metrics) {
  std::string out;
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
    std::snprintf(line, sizeof line, "  %-18s %14s %14s %14s %14s\n", key,
                  format_metric_value(key, m.at("mean").get<double>()).c_str(),
                  format_metric_value(key, m.at("ci95").get<double>()).c_str(),
                  format_metric_value(key, m.at("min").get<double>()).c_str(),
                  format_metric_value(key, m.at("max").get<double>()).c_str());
    out += line;
  }
  return out;
}

std::vector<std::string> main_metric_keys() { return {kMainMetrics.begin(), kMainMetrics.end()}; }

}  // namespace qlab::cli
