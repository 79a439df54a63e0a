#include "workloads/memory_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "queues/design_registry.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::workloads {
namespace {

constexpr double kAutoMetricsPoints = 1000;  // the recorder's ceiling without a fixed interval

double seconds(Time t) { return static_cast<double>(t) / static_cast<double>(kSecond); }

// Messages each consumer group can finish per second, all groups together (each consumer serves one at a time).
double service_capacity(const qlab::Scenario& s) {
  double capacity = 0;
  for (const ConsumerGroup& g : s.consumers) {
    const double mean = g.service.mean() / static_cast<double>(kSecond);
    capacity += mean > 0 ? static_cast<double>(g.count) / mean : std::numeric_limits<double>::infinity();
  }
  return capacity;
}

// Whether the simulator's ledger keeps the fates of settled messages (a run each time consecutive messages
// end differently): only for a design that cannot tell which messages it may still name.
bool ledger_keeps_settled_fates(const qlab::Scenario& s) {
  const DesignInfo* info = find_design(s.queue.design);
  return info == nullptr || !info->forgets_settled;
}

std::string count_text(double n) {
  char text[32];
  std::snprintf(text, sizeof text, n < 1e6 ? "%.0f" : "%.2g", n);
  return text;
}

}  // namespace

std::string format_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(units)) {
    bytes /= 1024;
    ++unit;
  }
  const char* format = bytes >= 1e6 ? "%.2g %s" : unit == 0 || bytes >= 100 ? "%.0f %s" : "%.1f %s";
  char text[48];
  std::snprintf(text, sizeof text, format, bytes, units[unit]);
  return text;
}

MemoryEstimate estimate_memory(const qlab::Scenario& s, unsigned parallel_runs, bool trace) {
  // Publishing time (the last group to stop), messages published and the offered load, per repetition.
  const double duration = s.duration ? seconds(*s.duration) : std::numeric_limits<double>::infinity();
  double publishing = 0;
  double messages = 0;
  double batch_messages = 0;
  double offered = 0;
  double producers = 0;
  for (const ProducerGroup& g : s.producers) {
    const double count = g.count;
    producers += count;
    if (g.arrival == Arrival::batch) {
      batch_messages += count * static_cast<double>(g.messages.value_or(0));
      publishing = std::max(publishing, std::min(duration, seconds(g.at)));
      continue;
    }
    if (g.rate_max) continue;  // live only: the simulator refuses the scenario
    double rate = g.rate;
    double cap = static_cast<double>(g.messages.value_or(UINT64_MAX));
    if (g.trace) {  // a trace: its rows at its average rate, once or looped
      const ArrivalTrace& t = *g.trace;
      const double rows = static_cast<double>(t.times.size());
      const double span = seconds(t.loop ? t.period : t.times.back()) * t.time_scale;
      if (!t.loop) cap = std::min(cap, rows);
      if (!(span > 0)) {  // every row at 0: a batch
        batch_messages += count * cap;
        continue;
      }
      rate = rows / span;
    }
    const double each = std::min(rate * duration, cap);
    publishing = std::max(publishing, each / rate);
    messages += count * each;
    offered += count * rate;
  }
  messages += batch_messages;
  // Messages wait when they arrive faster than the consumers serve them; a batch waits as a whole.
  const double capacity = service_capacity(s);
  const double waiting = std::min(messages, std::max(0.0, offered - capacity) * publishing + batch_messages);
  const double drain_time = s.drain ? std::min(seconds(s.drain_timeout), capacity > 0 ? waiting / capacity : 0) : 0;
  const double run_time = publishing + drain_time;

  double consumers = 0;
  for (const ConsumerGroup& g : s.consumers) consumers += g.autoscale ? g.autoscale->max : g.count;  // a slot per possible consumer
  double replicas = 1;
  if (auto it = s.queue.params.find("replicas"); it != s.queue.params.end()) {
    if (const auto* n = std::get_if<std::int64_t>(&it->second)) replicas = static_cast<double>(*n);
  }
  const double points = s.metrics_interval ? run_time / seconds(*s.metrics_interval) : kAutoMetricsPoints;
  double occurrences = 0;
  for (const FaultSpec& f : s.faults) {
    if (!f.every) {
      occurrences += 1;
      continue;
    }
    const double until = f.until ? std::min(seconds(*f.until), run_time) : run_time;
    occurrences += until / (f.every->mean() / static_cast<double>(kSecond));
  }

  const std::vector<std::pair<std::string, std::pair<double, double>>> items{
      {"messages", {ledger_keeps_settled_fates(s) ? messages : 0, kBytesPerMessage}},
      {"waiting messages", {waiting, kBytesPerWaitingMessage}},
      {"producers", {producers, kBytesPerProducer}},
      {"consumers", {consumers, kBytesPerConsumer}},
      {"replicas", {replicas, kBytesPerReplica}},
      {"metrics points", {points, kBytesPerMetricsPoint}},
      {"fault occurrences", {occurrences, kBytesPerFaultOccurrence}},
  };
  const double parallel = std::max(1.0, std::min<double>(parallel_runs, s.repetitions));
  MemoryEstimate estimate;
  estimate.messages = messages;
  double per_run = 0;
  double largest = -1;
  for (const auto& [name, item] : items) {
    const double bytes = item.first * item.second;
    per_run += bytes;
    if (bytes * parallel > largest) {
      largest = bytes * parallel;
      estimate.largest = name + ": " + count_text(item.first) + " x " + format_bytes(item.second) +
                         (parallel > 1 ? " x " + count_text(parallel) + " repetitions at once" : "");
    }
  }
  const double results = s.repetitions * kBytesPerRepetitionResult;
  if (results > largest) {
    estimate.largest = "repetition results: " + count_text(s.repetitions) + " x " + format_bytes(kBytesPerRepetitionResult);
  }
  const double traced = trace ? s.repetitions * messages : 0;
  if (traced * kBytesPerTracedMessage > std::max(largest, results)) {
    estimate.largest = "traced messages: " + count_text(traced) + " x " + format_bytes(kBytesPerTracedMessage);
  }
  estimate.bytes = kBaseBytes + parallel * per_run + results + traced * kBytesPerTracedMessage;
  return estimate;
}

std::optional<double> available_memory() {
  std::optional<double> available;
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    double kib = 0;
    if (fields >> key >> kib && key == "MemAvailable:") available = kib * 1024;
  }
  // cgroup v2: a container's limit, when set, can be well below what the host has free.
  std::ifstream max_file("/sys/fs/cgroup/memory.max");
  std::ifstream current_file("/sys/fs/cgroup/memory.current");
  double max = 0;
  double current = 0;
  if (max_file >> max && current_file >> current) {
    const double left = std::max(0.0, max - current);
    available = available ? std::min(*available, left) : left;
  }
  return available;
}

void check_memory(const MemoryEstimate& estimate, const std::string& source, bool force) {
  const std::optional<double> available = available_memory();
  if (!available || estimate.bytes <= *available) return;
  const std::string what = source + ": the run needs an estimated " + format_bytes(estimate.bytes) + " of memory, more than the " +
                           format_bytes(*available) + " available (largest part: " + estimate.largest + ")";
  if (force) {
    std::fprintf(stderr, "qlab: warning: %s; running anyway (--force)\n", what.c_str());
    return;
  }
  throw ScenarioError(what + " (expected a smaller scenario, or --force to run anyway)");
}

}  // namespace qlab::workloads
