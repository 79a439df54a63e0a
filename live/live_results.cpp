#include "live_results.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "metrics/time_series_recorder.hpp"

namespace qlab::live {
namespace {

// Calls `on_line(fields)` for every complete line of `path`; the last line may be torn by a kill.
template <typename F>
void for_each_record(const std::string& path, F on_line) {
  std::ifstream in(path);
  if (!in) return;  // a process that died before writing anything
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t line_number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t newline = text.find('\n', at);
    if (newline == std::string::npos) break;  // torn last line
    ++line_number;
    std::vector<std::string> fields;
    std::stringstream line(text.substr(at, newline - at));
    for (std::string field; std::getline(line, field, ',');) fields.push_back(field);
    at = newline + 1;
    try {
      on_line(fields);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(line_number) + ": bad record (" + e.what() + ")");
    }
  }
}

std::int64_t num(const std::vector<std::string>& fields, std::size_t i) {
  if (i >= fields.size()) throw std::runtime_error("missing field " + std::to_string(i));
  return std::stoll(fields[i]);
}

std::uint64_t unum(const std::vector<std::string>& fields, std::size_t i) {
  if (i >= fields.size()) throw std::runtime_error("missing field " + std::to_string(i));
  return std::stoull(fields[i]);
}

}  // namespace

void read_producer_records(const std::string& path, LiveRecords& records, Time offset) {
  std::unordered_map<std::uint64_t, std::size_t> by_seq;
  for_each_record(path, [&](const std::vector<std::string>& f) {
    if (f.at(0) == "S") {
      by_seq[unum(f, 1)] = records.publishes.size();
      records.publishes.push_back({unum(f, 1), num(f, 2) + offset, num(f, 3) + offset, -1, 0, false});
    } else if (f.at(0) == "A") {
      const auto it = by_seq.find(unum(f, 1));
      if (it == by_seq.end()) throw std::runtime_error("confirmation of an unknown seq");
      LiveRecords::Publish& p = records.publishes[it->second];
      p.message_id = unum(f, 2);
      p.confirmed = num(f, 3) + offset;
      p.refused = num(f, 4) != 0;
    } else {
      throw std::runtime_error("unknown kind '" + f.at(0) + "'");
    }
  });
}

void read_consumer_records(const std::string& path, LiveRecords& records, Time offset) {
  for_each_record(path, [&](const std::vector<std::string>& f) {
    if (f.at(0) == "D") {
      records.deliveries.push_back({static_cast<std::uint32_t>(unum(f, 1)), unum(f, 2),
                                    static_cast<std::uint32_t>(unum(f, 3)), num(f, 4), num(f, 5) + offset});  // intended: producer's clock
    } else if (f.at(0) == "C") {
      records.completions.push_back(
          {static_cast<std::uint32_t>(unum(f, 1)), unum(f, 2), num(f, 3) + offset, num(f, 4) + offset});
    } else {
      throw std::runtime_error("unknown kind '" + f.at(0) + "'");
    }
  });
}

RunResult build_live_result(const LiveRecords& records, const LiveRunFacts& facts, std::uint32_t repetition,
                            std::uint64_t seed) {
  const double scale = facts.time_scale;
  // Steady-clock ns -> scenario ns.
  const auto st = [&](Time t) { return static_cast<Time>(std::llround(static_cast<double>(t - facts.start) / scale)); };
  const auto dur = [&](Time d) { return static_cast<Time>(std::llround(static_cast<double>(d) / scale)); };

  struct Fate {
    bool confirmed = false;
    Time intended = -1;  // -1: not known (the publish was never confirmed)
    Time first_delivery = -1;
    Time first_completion = -1;
  };
  std::unordered_map<std::uint64_t, Fate> fates;
  Histogram publish_latency;
  std::uint64_t published = 0;
  std::uint64_t refused = 0;
  std::uint64_t unconfirmed = 0;  // sent, but the connection died before the confirmation (broker crash)
  Time first_publish = kNever;
  for (const LiveRecords::Publish& p : records.publishes) {
    if (p.confirmed < 0) {
      ++unconfirmed;
      continue;
    }
    if (p.refused) {
      ++refused;
      continue;
    }
    ++published;
    fates[p.message_id].confirmed = true;
    fates[p.message_id].intended = p.intended;
    first_publish = std::min(first_publish, p.intended);
    publish_latency.record(dur(std::max<Time>(0, p.confirmed - p.intended)));
  }
  for (const LiveRecords::Delivery& d : records.deliveries) {
    Fate& f = fates[d.message_id];
    if (f.first_delivery < 0 || d.delivered < f.first_delivery) f.first_delivery = d.delivered;
  }
  std::uint64_t unique_processed = 0;
  for (const LiveRecords::Completion& c : records.completions) {
    Fate& f = fates[c.message_id];
    if (f.first_completion < 0) ++unique_processed;
    if (f.first_completion < 0 || c.end < f.first_completion) f.first_completion = c.end;
  }
  // A message a consumer received was accepted by the broker even when its confirmation never reached the
  // producer (the broker or the producer died in between): it counts as published, without a latency.
  std::uint64_t accepted_unconfirmed = 0;
  for (const auto& [id, f] : fates) accepted_unconfirmed += f.confirmed ? 0 : 1;
  published += accepted_unconfirmed;
  unconfirmed = unconfirmed > accepted_unconfirmed ? unconfirmed - accepted_unconfirmed : 0;

  RunResult result;
  result.repetition = repetition;
  result.seed = seed;
  const Time warmup_end = facts.start + facts.warmup;
  Time last_completion = -1;
  std::uint64_t processed_in_window = 0;
  for (const auto& [id, f] : fates) {
    if (f.first_completion >= 0) {
      last_completion = std::max(last_completion, f.first_completion);
      if (f.first_completion >= warmup_end) ++processed_in_window;
    }
    if (f.intended < 0 || f.intended < warmup_end) continue;
    if (f.first_completion >= 0) result.latency.record(dur(std::max<Time>(0, f.first_completion - f.intended)));
    if (f.first_delivery >= 0) result.wait.record(dur(std::max<Time>(0, f.first_delivery - f.intended)));
  }
  // Per message, the highest receive count a consumer saw: the broker delivered it that often, even when a
  // copy never reached a consumer (dropped on the way by a `drop` fault, or unread by a consumer killed).
  std::unordered_map<std::uint64_t, std::uint32_t> delivered_once;
  for (const LiveRecords::Delivery& d : records.deliveries) {
    std::uint32_t& most = delivered_once[d.message_id];
    most = std::max(most, d.receive_count);
  }
  std::uint64_t redelivered = 0;
  for (const auto& [id, most] : delivered_once) redelivered += most > 1 ? most - 1 : 0;

  const auto deliveries = static_cast<std::uint64_t>(records.deliveries.size());
  const auto processed = static_cast<std::uint64_t>(records.completions.size());
  const std::uint64_t settled = unique_processed + facts.dead_lettered + facts.remaining;
  const std::uint64_t lost = published > settled ? published - settled : 0;
  const auto add = [&result](const char* key, double value) { result.metrics.push_back({key, value}); };
  const auto sec = [](Time t) { return to_seconds(t); };
  add("published", static_cast<double>(published));
  add("deliveries", static_cast<double>(deliveries));
  add("redeliveries", static_cast<double>(std::max<std::uint64_t>(deliveries - delivered_once.size(), redelivered)));
  add("processed", static_cast<double>(processed));
  add("unique_processed", static_cast<double>(unique_processed));
  add("duplicates", static_cast<double>(processed - unique_processed));
  add("dead_lettered", static_cast<double>(facts.dead_lettered));
  add("lost", static_cast<double>(lost));
  add("remaining", static_cast<double>(facts.remaining));
  add("latency_mean", result.latency.mean() / kSecond);
  add("latency_p50", sec(result.latency.percentile(0.50)));
  add("latency_p90", sec(result.latency.percentile(0.90)));
  add("latency_p99", sec(result.latency.percentile(0.99)));
  add("latency_p999", sec(result.latency.percentile(0.999)));
  add("latency_max", sec(result.latency.max()));
  add("wait_mean", result.wait.mean() / kSecond);
  add("wait_p99", sec(result.wait.percentile(0.99)));
  const Time window = dur(facts.end - warmup_end);
  add("throughput", window > 0 ? static_cast<double>(processed_in_window) / sec(window) : 0);
  add("makespan", last_completion >= 0 && first_publish != kNever ? sec(dur(last_completion - first_publish)) : 0);

  // Per consumer: busy = processing time, alive = process lifetime within the run.
  std::vector<ConsumerFigures> figures;
  for (const LiveRunFacts::Consumer& c : facts.consumers) {
    ConsumerFigures f;
    f.name = c.name;
    f.group = c.group;
    for (const auto& [from, to] : c.alive) {
      const Time a = std::max(from, facts.start);
      const Time b = std::min(to, facts.end);
      if (b > a) f.alive += dur(b - a);
    }
    figures.push_back(f);
  }
  for (const LiveRecords::Completion& c : records.completions) {
    if (c.consumer >= figures.size()) continue;
    figures[c.consumer].busy += dur(std::min(c.end, facts.end) - std::max(c.start, facts.start));
    ++figures[c.consumer].processed;
  }
  Time busy = 0;
  Time alive = 0;
  for (const ConsumerFigures& f : figures) {
    busy += f.busy;
    alive += f.alive;
  }
  add("utilization_mean", alive > 0 ? static_cast<double>(busy) / static_cast<double>(alive) : 0);
  add("publish_latency_mean", publish_latency.mean() / kSecond);
  add("publish_latency_p99", sec(publish_latency.percentile(0.99)));
  add("refused_publishes", static_cast<double>(refused));
  add("lost_unconfirmed_publish", static_cast<double>(unconfirmed));  // never confirmed, never seen by a consumer
  add("stale_acks", static_cast<double>(facts.stale_acks));
  add("faults", static_cast<double>(facts.faults.size()));
  add("warmup", sec(dur(facts.warmup)));
  add("time_scale", facts.time_scale);
  add("wall_seconds", facts.wall_seconds);
  result.consumers = std::move(figures);

  // The time series, from the records: backlog = accepted - first-delivered; in flight = first-delivered -
  // first-completed (approximations of the broker's view, exact when nothing is redelivered).
  enum Kind : int { alive_up, alive_down, accepted, first_delivery, busy_up, busy_down, first_completion };
  std::vector<std::pair<Time, int>> events;
  for (const LiveRunFacts::Consumer& c : facts.consumers) {
    for (const auto& [from, to] : c.alive) {
      events.push_back({std::max(from, facts.start), alive_up});
      events.push_back({std::min(to, facts.end), alive_down});
    }
  }
  for (const auto& [id, f] : fates) {
    if (f.first_delivery >= 0) events.push_back({f.first_delivery, first_delivery});
    if (f.first_completion >= 0) events.push_back({f.first_completion, first_completion});
  }
  for (const LiveRecords::Publish& p : records.publishes) {
    if (p.confirmed >= 0 && !p.refused) events.push_back({std::max(p.sent, facts.start), accepted});
  }
  for (const LiveRecords::Completion& c : records.completions) {
    events.push_back({c.start, busy_up});
    events.push_back({c.end, busy_down});
  }
  std::sort(events.begin(), events.end());
  TimeSeriesRecorder series(facts.metrics_interval ? std::optional<Time>(dur(*facts.metrics_interval)) : std::nullopt);
  SystemState state;
  for (const auto& [t, kind] : events) {
    const Time at = std::clamp<Time>(st(t), 0, st(facts.end));
    if (series.due(at)) series.sample_until(at, state);
    switch (kind) {
      case alive_up: ++state.alive_consumers; break;
      case alive_down: --state.alive_consumers; break;
      case accepted:
        ++state.backlog;
        series.on_published();
        break;
      case first_delivery:
        --state.backlog;
        ++state.in_flight;
        break;
      case busy_up: ++state.busy_consumers; break;
      case busy_down: --state.busy_consumers; break;
      case first_completion:
        --state.in_flight;
        series.on_processed();
        break;
      default: break;
    }
  }
  result.series = series.finish(st(facts.end), state);
  for (FaultWindow w : facts.faults) {
    w.start = st(w.start);
    w.end = st(w.end);
    result.faults.push_back(w);
  }
  return result;
}

}  // namespace qlab::live
