#include "live_results.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "metrics/group_figures.hpp"
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

// The index in `groups` (added when new) of the group named by a producer records file's name.
std::uint32_t producer_group(const std::string& path, std::vector<std::string>& groups) {
  const std::string file = std::filesystem::path(path).filename().string();
  const std::size_t from = file.find("producer-");
  const std::size_t begin = from == std::string::npos ? 0 : from + 9;
  const std::string name = file.substr(begin, file.find('[', begin) - begin);
  const auto it = std::find(groups.begin(), groups.end(), name);
  if (it != groups.end()) return static_cast<std::uint32_t>(it - groups.begin());
  groups.push_back(name);
  return static_cast<std::uint32_t>(groups.size() - 1);
}

}  // namespace

void read_producer_records(const std::string& path, LiveRecords& records, const ClockConversion& clock) {
  const auto at = [&](Time t) { return clock ? clock(t) : t; };
  std::unordered_map<std::uint64_t, std::size_t> by_seq;
  const std::uint32_t group = producer_group(path, records.producer_groups);
  for_each_record(path, [&](const std::vector<std::string>& f) {
    if (f.at(0) == "S") {
      by_seq[unum(f, 1)] = records.publishes.size();
      records.publishes.push_back({unum(f, 1), at(num(f, 2)), at(num(f, 3)), -1, 0, false, group});
    } else if (f.at(0) == "A") {
      const auto it = by_seq.find(unum(f, 1));
      if (it == by_seq.end()) throw std::runtime_error("confirmation of an unknown seq");
      LiveRecords::Publish& p = records.publishes[it->second];
      p.message_id = unum(f, 2);
      p.confirmed = at(num(f, 3));
      p.refused = num(f, 4) != 0;
    } else if (f.at(0) == "R") {
      ++records.retries;
    } else {
      throw std::runtime_error("unknown kind '" + f.at(0) + "'");
    }
  });
}

void read_broker_records(const std::string& path, LiveRecords& records, const ClockConversion& clock) {
  const auto at = [&](Time t) { return clock ? clock(t) : t; };
  for_each_record(path, [&](const std::vector<std::string>& f) {
    if (f.at(0).size() != 1 || std::string_view("HLXUA").find(f.at(0)[0]) == std::string_view::npos) {
      throw std::runtime_error("unknown kind '" + f.at(0) + "'");
    }
    records.broker.push_back({f.at(0)[0], unum(f, 1), static_cast<std::uint32_t>(unum(f, 2)), at(num(f, 3))});
  });
}

void read_consumer_records(const std::string& path, LiveRecords& records, const ClockConversion& clock) {
  const auto at = [&](Time t) { return clock ? clock(t) : t; };
  for_each_record(path, [&](const std::vector<std::string>& f) {
    if (f.at(0) == "D") {
      records.deliveries.push_back({static_cast<std::uint32_t>(unum(f, 1)), unum(f, 2),
                                    static_cast<std::uint32_t>(unum(f, 3)), num(f, 4), at(num(f, 5))});  // intended: producer's clock
    } else if (f.at(0) == "C") {
      records.completions.push_back(
          {static_cast<std::uint32_t>(unum(f, 1)), unum(f, 2), at(num(f, 3)), at(num(f, 4))});
    } else if (f.at(0) != "B") {  // B: processing began (counts service-time draws; no metric needs it)
      throw std::runtime_error("unknown kind '" + f.at(0) + "'");
    }
  });
}

namespace {

// What the records say about one message.
struct Fate {
  bool published = false;   // accepted by the broker (confirmed, or seen beyond the producer)
  bool confirmed = false;   // its producer got an accepting PUBLISH_OK
  Time intended = -1;       // -1: unknown (the confirmation never arrived)
  Time accepted = -1;       // when it entered the queue (the send time; the first sighting otherwise)
  Time first_handover = -1; // the broker handed it over (H)
  Time first_delivery = -1; // a consumer read it (D)
  Time first_completion = -1;
  Time dead_lettered = -1;  // X, when never processed
  Time lost_by_design = -1; // L
  std::uint32_t last_holder = UINT32_MAX;  // the consumer that read it last
  Time last_delivery = -1;
  std::uint32_t group = UINT32_MAX;  // its producer's group (LiveRecords::producer_groups); unknown: UINT32_MAX
};

enum class LossCause { consumer_crash, broker_crash, network };

// When the consumer's process that read a message at `at` died (kNever: it lived to the end).
Time death_after(const LiveRunFacts& facts, std::uint32_t consumer, Time at) {
  if (consumer >= facts.consumers.size()) return kNever;
  for (const auto& [from, to] : facts.consumers[consumer].alive) {
    if (from <= at && at <= to) return to < facts.end ? to : kNever;
  }
  return kNever;
}

// The first death of any consumer's process at or after `at` (kNever: none died before the end).
Time first_consumer_death_after(const LiveRunFacts& facts, Time at) {
  Time first = kNever;
  for (const LiveRunFacts::Consumer& c : facts.consumers) {
    for (const auto& [from, to] : c.alive) {
      if (to >= at && to < facts.end) first = std::min(first, to);
    }
  }
  return first;
}

Time first_window_after(const std::vector<std::pair<Time, Time>>& windows, Time at) {
  Time first = kNever;
  for (const auto& [from, to] : windows) {
    if (from >= at) first = std::min(first, from);
  }
  return first;
}

bool inside(const std::vector<std::pair<Time, Time>>& windows, Time at) {
  return std::any_of(windows.begin(), windows.end(), [&](const auto& w) { return w.first <= at && at <= w.second; });
}

}  // namespace

RunResult build_live_result(const LiveRecords& records, const LiveRunFacts& facts, std::uint32_t repetition,
                            std::uint64_t seed) {
  const double scale = facts.time_scale;
  // Steady-clock ns -> scenario ns.
  const auto st = [&](Time t) { return static_cast<Time>(std::llround(static_cast<double>(t - facts.start) / scale)); };
  const auto dur = [&](Time d) { return static_cast<Time>(std::llround(static_cast<double>(d) / scale)); };
  const auto clamp_run = [&](Time t) { return std::clamp(t, facts.start, facts.end); };

  std::unordered_map<std::uint64_t, Fate> fates;
  Histogram publish_latency;
  std::uint64_t refused = 0;
  std::uint64_t unconfirmed = 0;  // sent, but never confirmed
  std::uint64_t unconfirmed_in_drops = 0;  // ... and sent while a drop fault was eating publishes
  Time first_publish = kNever;
  const Time warmup_end = facts.start + facts.warmup;
  for (const LiveRecords::Publish& p : records.publishes) {
    if (p.confirmed < 0) {
      ++unconfirmed;
      unconfirmed_in_drops += inside(facts.publish_drops, p.sent) ? 1 : 0;
      continue;
    }
    if (p.refused) {
      ++refused;
      continue;
    }
    Fate& f = fates[p.message_id];
    f.published = f.confirmed = true;
    f.intended = p.intended;
    f.group = p.group;
    f.accepted = clamp_run(p.sent);
    first_publish = std::min(first_publish, p.intended);
    if (p.intended >= warmup_end) publish_latency.record(dur(std::max<Time>(0, p.confirmed - p.intended)));
  }
  // A message seen beyond its producer was accepted even when its confirmation never arrived (the broker or
  // the producer died in between): it counts as published, without a latency.
  const auto seen = [&](std::uint64_t id, Time at) -> Fate& {
    Fate& f = fates[id];
    if (!f.published) {
      f.published = true;
      f.accepted = clamp_run(at);
    }
    return f;
  };
  std::vector<std::pair<Time, Time>> unavailable;  // the design refused publishes (no leader)
  Time unavailable_since = -1;
  for (const LiveRecords::BrokerEvent& e : records.broker) {
    switch (e.kind) {
      case 'H': {
        Fate& f = seen(e.message_id, e.at);
        if (f.first_handover < 0 || e.at < f.first_handover) f.first_handover = e.at;
        break;
      }
      case 'L':
        seen(e.message_id, e.at).lost_by_design = e.at;
        break;
      case 'X':
        seen(e.message_id, e.at).dead_lettered = e.at;
        break;
      case 'U':
        unavailable_since = e.at;
        break;
      case 'A':
        if (unavailable_since >= 0) unavailable.emplace_back(unavailable_since, e.at);
        unavailable_since = -1;
        break;
      default:
        break;
    }
  }
  if (unavailable_since >= 0) unavailable.emplace_back(unavailable_since, facts.end);
  for (const LiveRecords::Delivery& d : records.deliveries) {
    Fate& f = seen(d.message_id, d.delivered);
    if (f.first_delivery < 0 || d.delivered < f.first_delivery) f.first_delivery = d.delivered;
    if (d.delivered >= f.last_delivery) {
      f.last_delivery = d.delivered;
      f.last_holder = d.consumer;
    }
  }
  std::uint64_t unique_processed = 0;
  for (const LiveRecords::Completion& c : records.completions) {
    Fate& f = seen(c.message_id, c.start);
    if (f.first_completion < 0) ++unique_processed;
    if (f.first_completion < 0 || c.end < f.first_completion) f.first_completion = c.end;
  }
  std::uint64_t published = 0;
  std::uint64_t accepted_unconfirmed = 0;
  std::uint64_t dead_lettered = 0;
  for (auto& [id, f] : fates) {
    ++published;
    accepted_unconfirmed += f.confirmed ? 0 : 1;
    if (f.first_completion >= 0) f.dead_lettered = -1;  // processing is what users wait for
    dead_lettered += f.dead_lettered >= 0 ? 1 : 0;
  }
  unconfirmed = unconfirmed > accepted_unconfirmed ? unconfirmed - accepted_unconfirmed : 0;
  unconfirmed_in_drops = std::min(unconfirmed_in_drops, unconfirmed);

  // Unfinished messages: lost (by the cause of where each was last seen) or remaining. The broker says how
  // many remain; they are the ones never handed over, last in line to be called lost.
  const std::uint64_t remaining = facts.remaining;
  std::uint64_t lost_by[3] = {0, 0, 0};
  std::uint64_t lost_confirmed = 0;
  std::vector<std::pair<std::uint64_t, bool>> queued_unfinished;  // (id, confirmed), never handed over
  std::unordered_map<std::uint64_t, Time> loss_time;
  for (const auto& [id, f] : fates) {
    if (f.first_completion >= 0 || f.dead_lettered >= 0) continue;
    LossCause cause = LossCause::broker_crash;
    Time at = f.lost_by_design;
    if (f.lost_by_design < 0) {
      if (f.last_holder != UINT32_MAX) {
        cause = LossCause::consumer_crash;
        at = std::min(death_after(facts, f.last_holder, f.last_delivery), facts.end);
      } else if (f.first_handover >= 0) {
        cause = LossCause::network;  // handed over, never read: the delivery was dropped on the way
        at = f.first_handover;
      } else {
        queued_unfinished.emplace_back(id, f.confirmed);
        continue;
      }
    }
    ++lost_by[static_cast<int>(cause)];
    lost_confirmed += f.confirmed ? 1 : 0;
    loss_time[id] = at;
  }
  // Of the messages never handed over, `remaining` are still queued. The rest died with a crashed broker or,
  // when no broker crashed after they were accepted, unread in the socket of a consumer that died (a real
  // broker writes messages to a consumer's connection before the consumer records them): the simulator
  // counts a delivery that reaches a dead consumer as lost_consumer_crash too.
  std::sort(queued_unfinished.begin(), queued_unfinished.end(), [&](const auto& a, const auto& b) {
    return fates[a.first].accepted < fates[b.first].accepted;
  });
  const std::size_t queued_lost = queued_unfinished.size() > remaining ? queued_unfinished.size() - remaining : 0;
  for (std::size_t i = 0; i < queued_lost; ++i) {
    const auto [id, confirmed] = queued_unfinished[i];
    const Time accepted = fates[id].accepted;
    const Time broker_death = first_window_after(facts.broker_down, accepted);
    const Time consumer_death = first_consumer_death_after(facts, accepted);
    const bool by_consumer = broker_death == kNever && consumer_death != kNever;
    ++lost_by[static_cast<int>(by_consumer ? LossCause::consumer_crash : LossCause::broker_crash)];
    lost_confirmed += confirmed ? 1 : 0;
    loss_time[id] = std::min(by_consumer ? consumer_death : broker_death, facts.end);
  }
  const std::uint64_t lost = lost_by[0] + lost_by[1] + lost_by[2];

  RunResult result;
  result.repetition = repetition;
  result.seed = seed;
  Time last_completion = -1;
  std::uint64_t processed_in_window = 0;
  // Per producer group, as the totals: published, processed in the window, latency from the warmup on.
  struct GroupTally {
    std::uint64_t published = 0;
    std::uint64_t processed = 0;
    Histogram latency;
  };
  std::vector<GroupTally> groups(records.producer_groups.size());
  const auto group_of = [&](const Fate& f) { return f.group < groups.size() ? &groups[f.group] : nullptr; };
  for (const auto& [id, f] : fates) {
    GroupTally* group = group_of(f);
    if (group && f.published) ++group->published;
    if (f.first_completion >= 0) {
      last_completion = std::max(last_completion, f.first_completion);
      if (f.first_completion >= warmup_end) {
        ++processed_in_window;
        if (group) ++group->processed;
      }
    }
    if (f.intended < 0 || f.intended < warmup_end) continue;
    if (f.first_completion >= 0) {
      const Time latency = dur(std::max<Time>(0, f.first_completion - f.intended));
      result.latency.record(latency);
      if (group) group->latency.record(latency);
    }
    // Wait ends when the broker hands the message over (the consumer's reading time when the broker's
    // record is missing).
    const Time handed = f.first_handover >= 0 ? f.first_handover : f.first_delivery;
    if (handed >= 0) result.wait.record(dur(std::max<Time>(0, handed - f.intended)));
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
  const auto add = [&result](const char* key, double value) { result.metrics.push_back({key, value}); };
  const auto count = [](std::uint64_t n) { return static_cast<double>(n); };
  const auto sec = [](Time t) { return to_seconds(t); };
  add("published", count(published));
  add("deliveries", count(deliveries));
  add("redeliveries", count(std::max<std::uint64_t>(deliveries - delivered_once.size(), redelivered)));
  add("processed", count(processed));
  add("unique_processed", count(unique_processed));
  add("duplicates", count(processed - unique_processed));
  add("dead_lettered", count(dead_lettered));
  add("lost", count(lost));
  add("remaining", count(remaining));
  add("latency_mean", sampled(result.latency, result.latency.mean() / kSecond));
  add("latency_p50", sampled(result.latency, sec(result.latency.percentile(0.50))));
  add("latency_p90", sampled(result.latency, sec(result.latency.percentile(0.90))));
  add("latency_p99", sampled(result.latency, sec(result.latency.percentile(0.99))));
  add("latency_p999", sampled(result.latency, sec(result.latency.percentile(0.999))));
  add("latency_max", sampled(result.latency, sec(result.latency.max())));
  add("wait_mean", sampled(result.wait, result.wait.mean() / kSecond));
  add("wait_p99", sampled(result.wait, sec(result.wait.percentile(0.99))));
  const Time window = dur(facts.end - warmup_end);
  add("throughput", window > 0 && processed_in_window > 0 ? static_cast<double>(processed_in_window) / sec(window) : kNoSamples);
  add("makespan", last_completion >= 0 && first_publish != kNever ? sec(dur(last_completion - first_publish)) : kNoSamples);

  // Per consumer: busy = processing time, alive = process lifetime within the run, idle with backlog as the
  // broker measured it.
  std::vector<ConsumerFigures> figures;
  for (std::size_t i = 0; i < facts.consumers.size(); ++i) {
    const LiveRunFacts::Consumer& c = facts.consumers[i];
    ConsumerFigures f;
    f.name = c.name;
    f.group = c.group;
    for (const auto& [from, to] : c.alive) {
      const Time a = std::max(from, facts.start);
      const Time b = std::min(to, facts.end);
      if (b > a) f.alive += dur(b - a);
    }
    if (i < facts.idle_with_backlog.size()) f.idle_with_backlog = std::min(f.alive, dur(facts.idle_with_backlog[i]));
    figures.push_back(f);
  }
  for (const LiveRecords::Completion& c : records.completions) {
    if (c.consumer >= figures.size()) continue;
    figures[c.consumer].busy += dur(std::min(c.end, facts.end) - std::max(c.start, facts.start));
    ++figures[c.consumer].processed;
  }
  Time busy = 0;
  Time alive = 0;
  Time idle_backlog = 0;
  for (const ConsumerFigures& f : figures) {
    busy += f.busy;
    alive += f.alive;
    idle_backlog += f.idle_with_backlog;
  }
  add("utilization_mean", alive > 0 ? static_cast<double>(busy) / static_cast<double>(alive) : kNoSamples);
  if (facts.idle_with_backlog.size() == facts.consumers.size()) {
    add("idle_with_backlog", alive > 0 ? static_cast<double>(idle_backlog) / static_cast<double>(alive) : kNoSamples);
  } else {
    result.unmeasured.push_back({"idle_with_backlog", "the broker's account of idle consumers was lost (it crashed)"});
  }
  Time down = 0;
  for (const std::vector<std::pair<Time, Time>>* windows : {&facts.broker_down, &std::as_const(unavailable)}) {
    for (const auto& [from, to] : *windows) down += std::max<Time>(0, std::min(to, facts.end) - std::max(from, facts.start));
  }
  add("unavailable_seconds", sec(dur(down)));

  // recovery_time, as the simulator defines it: per fault window, from its start to the first moment after it
  // healed that no more messages were unfinished than when it struck.
  std::vector<std::pair<Time, int>> unfinished_changes;
  for (const auto& [id, f] : fates) {
    unfinished_changes.push_back({f.accepted, +1});
    if (f.first_completion >= 0) {
      unfinished_changes.push_back({f.first_completion, -1});
    } else if (f.dead_lettered >= 0) {
      unfinished_changes.push_back({f.dead_lettered, -1});
    } else if (const auto it = loss_time.find(id); it != loss_time.end()) {
      unfinished_changes.push_back({it->second, -1});
    }
  }
  std::sort(unfinished_changes.begin(), unfinished_changes.end());
  const auto unfinished_at = [&](Time t) {  // after every change at or before t
    std::int64_t n = 0;
    for (const auto& [at, d] : unfinished_changes) {
      if (at > t) break;
      n += d;
    }
    return n;
  };
  Time recovery_sum = 0;
  std::size_t recovered = 0;
  const auto real = [&](Time scenario_time) {
    return facts.start + static_cast<Time>(std::llround(static_cast<double>(scenario_time) * scale));
  };
  for (const FaultWindow& w : facts.faults) {
    const Time struck = real(w.start);
    const Time healed = real(w.end);
    const std::int64_t level = unfinished_at(struck);
    std::int64_t n = unfinished_at(healed);
    Time back = n <= level ? healed : -1;
    for (auto it = std::upper_bound(unfinished_changes.begin(), unfinished_changes.end(), std::pair<Time, int>{healed, 1});
         back < 0 && it != unfinished_changes.end(); ++it) {
      n += it->second;
      if (n <= level) back = it->first;
    }
    if (back < 0) continue;
    recovery_sum += dur(back - struck);
    ++recovered;
  }
  add("recovery_time", recovered > 0 ? sec(recovery_sum) / static_cast<double>(recovered) : kNoSamples);
  add("faults", count(facts.faults.size()));
  add("duration_simulated", sec(dur(facts.end - facts.start)));
  add("warmup", sec(dur(facts.warmup)));
  add("wall_seconds", facts.wall_seconds);
  add("lost_consumer_crash", count(lost_by[static_cast<int>(LossCause::consumer_crash)]));
  add("lost_broker_crash", count(lost_by[static_cast<int>(LossCause::broker_crash)]));
  add("lost_network", count(lost_by[static_cast<int>(LossCause::network)]));
  add("lost_confirmed", count(lost_confirmed));
  add("refused_publishes", count(refused));
  add("retried_publishes", count(records.retries));
  // Never confirmed and never seen beyond the producer: sent inside a drop fault on producer->broker, the
  // network took it; otherwise a crash did.
  add("lost_unconfirmed_publish", count(unconfirmed - unconfirmed_in_drops));
  add("lost_network_publish", count(unconfirmed_in_drops));
  add("publish_latency_mean", sampled(publish_latency, publish_latency.mean() / kSecond));
  add("publish_latency_p99", sampled(publish_latency, sec(publish_latency.percentile(0.99))));
  add("stale_acks", count(facts.stale_acks));
  add("time_scale", facts.time_scale);
  result.unmeasured.push_back({"events", "a simulator cost: live mode runs no event loop"});
  result.unmeasured.push_back({"events_per_second", "a simulator cost: live mode runs no event loop"});
  result.unmeasured.push_back({"failed_processing", "live workers do not fail on purpose (simulator only)"});
  for (const char* key : {"dead_lettered_max_receives", "dead_lettered_expired", "dead_lettered_overflow", "dropped",
                          "dropped_expired", "dropped_overflow", "dropped_failed", "expired", "time_to_dead_letter_mean",
                          "time_to_dead_letter_p99"}) {
    result.unmeasured.push_back({key, "the live broker's records do not tell discards apart (all count in dead_lettered)"});
  }
  result.consumers = std::move(figures);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    result.producer_groups.push_back(producer_group_figures(records.producer_groups[g], groups[g].latency,
                                                            groups[g].published, groups[g].processed, sec(window)));
  }
  result.consumer_groups = consumer_group_figures(result.consumers, facts.faults, sec(window));

  // The time series, the broker's view from the records: backlog = accepted and not yet handed over (nor
  // lost or dead-lettered before that); in flight = handed over and not yet completed (nor lost).
  enum Kind : int { alive_up, alive_down, accepted, handed_over, leaves_backlog, busy_up, busy_down, leaves_flight, completed };
  std::vector<std::pair<Time, int>> events;
  for (const LiveRunFacts::Consumer& c : facts.consumers) {
    for (const auto& [from, to] : c.alive) {
      events.push_back({std::max(from, facts.start), alive_up});
      events.push_back({std::min(to, facts.end), alive_down});
    }
  }
  for (const auto& [id, f] : fates) {
    events.push_back({f.accepted, accepted});
    const Time handed = f.first_handover >= 0 ? f.first_handover : f.first_delivery;
    Time gone = f.dead_lettered;
    if (const auto it = loss_time.find(id); it != loss_time.end()) gone = it->second;
    if (handed >= 0 && (gone < 0 || handed <= gone)) {
      events.push_back({handed, handed_over});
      if (f.first_completion >= 0) events.push_back({f.first_completion, completed});
      else if (gone >= 0) events.push_back({gone, leaves_flight});
    } else if (gone >= 0) {
      events.push_back({gone, leaves_backlog});
    }
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
    series.observe(at, state);
    switch (kind) {
      case alive_up: ++state.alive_consumers; break;
      case alive_down: --state.alive_consumers; break;
      case accepted:
        ++state.backlog;
        series.on_published();
        break;
      case handed_over:
        --state.backlog;
        ++state.in_flight;
        break;
      case leaves_backlog: --state.backlog; break;
      case busy_up: ++state.busy_consumers; break;
      case busy_down: --state.busy_consumers; break;
      case leaves_flight: --state.in_flight; break;
      case completed:
        --state.in_flight;
        series.on_processed();
        break;
      default: break;
    }
  }
  result.series = series.finish(st(facts.end), state);
  result.faults = facts.faults;
  return result;
}

}  // namespace qlab::live
