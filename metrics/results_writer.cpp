#include "results_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/version.hpp"
#include "group_figures.hpp"
#include "statistics.hpp"
#include "text_appender.hpp"

namespace qlab {
namespace {

nlohmann::ordered_json summary_object(const Summary& s) {
  return {{"mean", s.mean}, {"ci95", s.ci95}, {"min", s.min}, {"max", s.max}};
}

// A per-run CSV: `header`, then for every run each element of its `rows` list written by `write_row`
// (after the repetition column). Seconds keep 12 significant digits (TextAppender writes doubles as %.12g).
template <class Row, class WriteRow>
std::string runs_csv(const std::vector<RunResult>& runs, const char* header,
                     std::vector<Row> RunResult::*rows, WriteRow write_row) {
  TextAppender out;
  out << header << '\n';
  for (const RunResult& run : runs) {
    for (const Row& row : run.*rows) {
      out << run.repetition << ',';
      write_row(out, row, run);
      out << '\n';
    }
  }
  return out.take();
}

std::string timeseries_csv(const std::vector<RunResult>& runs) {
  return runs_csv(runs,
                  "repetition,t,backlog,in_flight,published,processed,busy_consumers,alive_consumers,backlog_max,"
                  "in_flight_max",
                  &RunResult::series, [](TextAppender& out, const TimeSeriesPoint& p, const RunResult&) {
                    out << to_seconds(p.t) << ',' << p.backlog << ',' << p.in_flight << ',' << p.published << ','
                        << p.processed << ',' << p.busy_consumers << ',' << p.alive_consumers << ',' << p.backlog_max
                        << ',' << p.in_flight_max;
                  });
}

std::string consumers_csv(const std::vector<RunResult>& runs) {
  return runs_csv(runs, "repetition,consumer,group,processed,busy_seconds,alive_seconds,utilization,idle_with_backlog",
                  &RunResult::consumers, [](TextAppender& out, const ConsumerFigures& c, const RunResult&) {
                    const double alive = to_seconds(c.alive);
                    out << c.name << ',' << c.group << ',' << c.processed << ',' << to_seconds(c.busy) << ','
                        << alive << ',' << (alive > 0 ? to_seconds(c.busy) / alive : 0) << ','
                        << (alive > 0 ? to_seconds(c.idle_with_backlog) / alive : 0);
                  });
}

std::string faults_csv(const std::vector<RunResult>& runs) {
  return runs_csv(runs, "repetition,action,target,start,end", &RunResult::faults,
                  [](TextAppender& out, const FaultWindow& f, const RunResult&) {
                    out << f.action << ',' << f.target << ',' << to_seconds(f.start) << ',' << to_seconds(f.end);
                  });
}

std::string messages_csv(const std::vector<RunResult>& runs) {
  return runs_csv(runs, "repetition,message,published,deliveries,completed,fate,history", &RunResult::trace,
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
  std::filesystem::path temporary = path;
  temporary += ".partial";
  const auto fail = [&](const char* what) {
    throw std::runtime_error(path.string() + ": cannot " + what + " " + temporary.string() + " (" + std::strerror(errno) + ")");
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("create");
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  // On disk before the rename, so a crash never leaves an empty or partial file under the final name.
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("sync");
  }
  if (::close(fd) != 0) fail("close");
  std::filesystem::rename(temporary, path);
}

void write_results(const std::filesystem::path& dir, const RunInfo& info, const std::vector<RunResult>& runs) {
  std::filesystem::create_directories(dir);
  write_file_atomically(dir / "timeseries.csv", timeseries_csv(runs));
  write_file_atomically(dir / "consumers.csv", consumers_csv(runs));
  write_file_atomically(dir / "faults.csv", faults_csv(runs));
  write_file_atomically(dir / "histograms.json", histograms_json(runs));
  const bool traced = !runs.empty() && !runs.front().trace.empty();
  if (traced) write_file_atomically(dir / "messages.csv", messages_csv(runs));
  // summary.json last: its presence says the folder is complete.
  write_file_atomically(dir / "summary.json", summary_json(info, runs).dump(2) + "\n");
}

}  // namespace qlab
