#include "group_figures.hpp"

#include <map>
#include <tuple>

#include "statistics.hpp"

namespace qlab {

GroupFigures producer_group_figures(const std::string& name, const Histogram& latency, std::uint64_t published,
                                    std::uint64_t processed, double window_seconds) {
  const auto seconds = [](double ns) { return ns / static_cast<double>(kSecond); };
  GroupFigures g{name, {}};
  const auto add = [&g](const char* key, double value) { g.metrics.push_back({key, value}); };
  add("published", static_cast<double>(published));
  add("processed", static_cast<double>(processed));
  add("throughput", window_seconds > 0 ? static_cast<double>(processed) / window_seconds : 0);
  add("latency_mean", seconds(latency.mean()));
  add("latency_p50", seconds(static_cast<double>(latency.percentile(0.50))));
  add("latency_p90", seconds(static_cast<double>(latency.percentile(0.90))));
  add("latency_p99", seconds(static_cast<double>(latency.percentile(0.99))));
  add("latency_p999", seconds(static_cast<double>(latency.percentile(0.999))));
  add("latency_max", seconds(static_cast<double>(latency.max())));
  return g;
}

std::vector<GroupFigures> consumer_group_figures(const std::vector<ConsumerFigures>& consumers,
                                                 const std::vector<FaultWindow>& faults, double window_seconds) {
  struct Tally {
    std::uint32_t members = 0;
    std::uint64_t processed = 0;
    Time busy = 0;
    Time alive = 0;
    Time idle_with_backlog = 0;
    std::uint32_t crashes = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Tally> tallies;
  // A group's members come one after the other: one lookup per run of them rather than two per member.
  std::map<std::string, Tally>::iterator last = tallies.end();
  for (const ConsumerFigures& c : consumers) {
    if (last == tallies.end() || c.group != last->first) {
      bool added = false;
      std::tie(last, added) = tallies.try_emplace(c.group);
      if (added) order.push_back(c.group);
    }
    Tally& t = last->second;
    ++t.members;
    t.processed += c.processed;
    t.busy += c.busy;
    t.alive += c.alive;
    t.idle_with_backlog += c.idle_with_backlog;
  }
  for (const FaultWindow& f : faults) {
    if (f.action != "crash") continue;
    const std::string group = f.target.substr(0, f.target.find('['));
    if (auto it = tallies.find(group); it != tallies.end()) ++it->second.crashes;
  }
  std::vector<GroupFigures> out;
  for (const std::string& name : order) {
    const Tally& t = tallies[name];
    const double alive = static_cast<double>(t.alive);
    GroupFigures g{name, {}};
    const auto add = [&g](const char* key, double value) { g.metrics.push_back({key, value}); };
    add("consumers", t.members);
    add("processed", static_cast<double>(t.processed));
    add("throughput", window_seconds > 0 ? static_cast<double>(t.processed) / window_seconds : 0);
    add("utilization", alive > 0 ? static_cast<double>(t.busy) / alive : 0);
    add("idle_with_backlog", alive > 0 ? static_cast<double>(t.idle_with_backlog) / alive : 0);
    add("crashes", t.crashes);
    out.push_back(std::move(g));
  }
  return out;
}

std::optional<double> group_metric(const std::vector<GroupFigures>& groups, const std::string& name,
                                   const std::string& key) {
  for (const GroupFigures& g : groups) {
    if (g.name != name) continue;
    for (const Metric& m : g.metrics) {
      if (m.key == key) return m.value;
    }
  }
  return std::nullopt;
}

namespace {

// NAME: {metric: summary over the runs} for the groups `member` of every run (matched by name).
nlohmann::ordered_json side_json(const std::vector<RunResult>& runs, std::vector<GroupFigures> RunResult::*member) {
  nlohmann::ordered_json side = nlohmann::ordered_json::object();
  for (const GroupFigures& group : runs.front().*member) {
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    for (std::size_t m = 0; m < group.metrics.size(); ++m) {
      std::vector<double> values;
      for (const RunResult& run : runs) {
        for (const GroupFigures& g : run.*member) {
          if (g.name == group.name && m < g.metrics.size()) values.push_back(g.metrics[m].value);
        }
      }
      const Summary s = summarize(values);
      metrics[group.metrics[m].key] = {{"mean", s.mean}, {"ci95", s.ci95}, {"min", s.min}, {"max", s.max}};
    }
    side[group.name] = metrics;
  }
  return side;
}

}  // namespace

nlohmann::ordered_json groups_json(const std::vector<RunResult>& runs) {
  if (runs.empty()) return {{"producers", nlohmann::ordered_json::object()}, {"consumers", nlohmann::ordered_json::object()}};
  return {{"producers", side_json(runs, &RunResult::producer_groups)},
          {"consumers", side_json(runs, &RunResult::consumer_groups)}};
}

}  // namespace qlab
