#include "results_writer.hpp"

#include <algorithm>

#include "atomic_file.hpp"
#include "core/version.hpp"
#include "group_figures.hpp"
#include "statistics.hpp"
#include "text_appender.hpp"

namespace qlab {
namespace {

nlohmann::ordered_json summary_object(const Summary& s) {
  return {{"mean", s.mean}, {"ci95", s.ci95}, {"min", s.min}, {"max", s.max}};
}

// Writes a per-run CSV to `path`: `header`, then for every run each element of its `rows` list written by
// `write_row` (after the repetition column). Seconds keep 12 significant digits (TextAppender writes doubles
// as %.12g). The text goes out in pieces of about 1 MiB: a file with a row per consumer need not be held
// whole, and each write is large (100,000 consumers' rows: 8% less CPU than in pieces of 64 KiB).
template <class Row, class WriteRow>
void write_runs_csv(const std::filesystem::path& path, const std::vector<RunResult>& runs, const char* header,
                    std::vector<Row> RunResult::*rows, WriteRow write_row) {
  constexpr std::size_t kPiece = std::size_t{1} << 20;
  AtomicFile file(path);
  TextAppender out;
  out << header << '\n';
  for (const RunResult& run : runs) {
    for (const Row& row : run.*rows) {
      out << run.repetition << ',';
      write_row(out, row, run);
      out << '\n';
      if (out.text().size() >= kPiece) {
        file.write(out.text());
        out.clear();
      }
    }
  }
  file.write(out.text());
  file.commit();
}

void write_timeseries_csv(const std::filesystem::path& path, const std::vector<RunResult>& runs) {
  write_runs_csv(path, runs,
                 "repetition,t,backlog,in_flight,published,processed,busy_consumers,alive_consumers,backlog_max,"
                 "in_flight_max",
                 &RunResult::series, [](TextAppender& out, const TimeSeriesPoint& p, const RunResult&) {
                   out << to_seconds(p.t) << ',' << p.backlog << ',' << p.in_flight << ',' << p.published << ','
                       << p.processed << ',' << p.busy_consumers << ',' << p.alive_consumers << ',' << p.backlog_max
                       << ',' << p.in_flight_max;
                 });
}

void write_consumers_csv(const std::filesystem::path& path, const std::vector<RunResult>& runs) {
  write_runs_csv(path, runs, "repetition,consumer,group,processed,busy_seconds,alive_seconds,utilization,idle_with_backlog",
                 &RunResult::consumers, [](TextAppender& out, const ConsumerFigures& c, const RunResult&) {
                   const double alive = to_seconds(c.alive);
                   out << c.name << ',' << c.group << ',' << c.processed << ',' << to_seconds(c.busy) << ','
                       << alive << ',' << (alive > 0 ? to_seconds(c.busy) / alive : 0) << ','
                       << (alive > 0 ? to_seconds(c.idle_with_backlog) / alive : 0);
                 });
}

void write_faults_csv(const std::filesystem::path& path, const std::vector<RunResult>& runs) {
  write_runs_csv(path, runs, "repetition,action,target,start,end", &RunResult::faults,
                 [](TextAppender& out, const FaultWindow& f, const RunResult&) {
                   out << f.action << ',' << f.target << ',' << to_seconds(f.start) << ',' << to_seconds(f.end);
                 });
}

void write_messages_csv(const std::filesystem::path& path, const std::vector<RunResult>& runs) {
  write_runs_csv(path, runs, "repetition,message,published,deliveries,completed,fate,history", &RunResult::trace,
                 [](TextAppender& out, const MessageTrace& m, const RunResult& run) {
                   // Lists inside a field are "what@seconds;what@seconds"; a delivery names its consumer as
                   // consumers.csv does (GROUP[i]).
                   out << m.id << ',' << to_seconds(m.published) << ',';
                   for (std::size_t i = 0; i < m.deliveries.size(); ++i) {
                     const std::uint32_t c = m.deliveries[i].first;
                     out << (i ? ";" : "");
                     if (c < run.consumers.size()) {
                       out << run.consumers[c].name;
                     } else {
                       out << c;
                     }
                     out << '@' << to_seconds(m.deliveries[i].second);
                   }
                   out << ',';
                   if (m.completed >= 0) out << to_seconds(m.completed);
                   out << ',' << m.fate << ',';
                   for (std::size_t i = 0; i < m.history.size(); ++i) {
                     out << (i ? ";" : "") << m.history[i].second << '@' << to_seconds(m.history[i].first);
                   }
                 });
}

nlohmann::ordered_json histogram_json(const Histogram& h) {
  nlohmann::ordered_json buckets = nlohmann::ordered_json::array();
  h.for_each_bucket([&](std::int64_t lower, std::int64_t upper, std::uint64_t count) {
    buckets.push_back({lower, upper, count});
  });
  return {{"unit", "ns"}, {"count", h.count()}, {"min", h.min()}, {"max", h.max()}, {"buckets", buckets}};
}

std::string histograms_json(const std::vector<RunResult>& runs) {
  nlohmann::ordered_json doc;
  doc["format"] = "qlab-histograms-1: buckets are [lower_ns, upper_ns, count], lower inclusive";
  Histogram latency;
  Histogram wait;
  nlohmann::ordered_json per_run = nlohmann::ordered_json::array();
  for (const RunResult& run : runs) {
    latency.merge(run.latency);
    wait.merge(run.wait);
    per_run.push_back({{"repetition", run.repetition},
                       {"latency", histogram_json(run.latency)},
                       {"wait", histogram_json(run.wait)}});
  }
  doc["merged"] = {{"latency", histogram_json(latency)}, {"wait", histogram_json(wait)}};
  doc["runs"] = per_run;
  return doc.dump(1) + "\n";
}

}  // namespace

nlohmann::ordered_json summary_json(const RunInfo& info, const std::vector<RunResult>& runs) {
  nlohmann::ordered_json doc;
  doc["qlab_version"] = version();
  doc["mode"] = info.mode;
  doc["scenario"] = info.scenario;
  doc["design"] = info.design;
  doc["seed"] = info.seed;
  doc["repetitions"] = runs.size();
  // false when a repetition ended early (live: a process died that no fault killed); `incomplete` says why.
  doc["complete"] = std::none_of(runs.begin(), runs.end(), [](const RunResult& r) { return !r.incomplete.empty(); });
  for (const RunResult& run : runs) {
    if (!run.incomplete.empty()) doc["incomplete"].push_back({{"repetition", run.repetition}, {"reason", run.incomplete}});
  }
  doc["scenario_resolved"] = info.scenario_resolved;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  if (!runs.empty()) {
    for (const Metric& m : runs.front().metrics) {
      // Over the repetitions that had samples; null (n/a) when none had any.
      std::vector<double> values;
      for (const RunResult& run : runs) {
        const std::optional<double> value = run.metric(m.key);
        if (value && has_samples(*value)) values.push_back(*value);
      }
      metrics[m.key] = values.empty() ? nlohmann::ordered_json{{"mean", nullptr}, {"ci95", nullptr}, {"min", nullptr},
                                                                {"max", nullptr}, {"reason", "no samples"}}
                                      : summary_object(summarize(values));
    }
    for (const UnmeasuredMetric& u : runs.front().unmeasured) {
      metrics[u.key] = {{"mean", nullptr}, {"ci95", nullptr}, {"min", nullptr}, {"max", nullptr}, {"reason", u.reason}};
    }
  }
  doc["metrics"] = metrics;
  doc["groups"] = groups_json(runs);
  nlohmann::ordered_json per_run = nlohmann::ordered_json::array();
  for (const RunResult& run : runs) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const Metric& m : run.metrics) values[m.key] = has_samples(m.value) ? nlohmann::ordered_json(m.value) : nullptr;
    for (const UnmeasuredMetric& u : run.unmeasured) values[u.key] = nullptr;
    per_run.push_back({{"repetition", run.repetition}, {"seed", run.seed}, {"metrics", values}});
  }
  doc["runs"] = per_run;
  return doc;
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

void write_results(const std::filesystem::path& dir, const RunInfo& info, const std::vector<RunResult>& runs) {
  write_results(dir, runs, summary_json(info, runs));
}

void write_results(const std::filesystem::path& dir, const std::vector<RunResult>& runs, const nlohmann::ordered_json& summary) {
  std::filesystem::create_directories(dir);
  write_timeseries_csv(dir / "timeseries.csv", runs);
  write_consumers_csv(dir / "consumers.csv", runs);
  write_faults_csv(dir / "faults.csv", runs);
  write_file_atomically(dir / "histograms.json", histograms_json(runs));
  const bool traced = !runs.empty() && !runs.front().trace.empty();
  if (traced) write_messages_csv(dir / "messages.csv", runs);
  // summary.json last: its presence says the folder is complete.
  write_file_atomically(dir / "summary.json", summary.dump(2) + "\n");
}

}  // namespace qlab
