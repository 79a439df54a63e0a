#include "bench/suite_reports.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

#include "bench/results_columns.hpp"
#include "core/version.hpp"
#include "metrics/results_writer.hpp"
#include "metrics/statistics.hpp"

namespace qlab::bench {
namespace {

bool is_timing(const std::string& key) { return key == "wall_seconds" || key == "events_per_second"; }

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Appends `field` to a CSV line under construction.
void add_field(std::string& line, const std::string& field) {
  if (!line.empty()) line += ',';
  line += csv_field(field);
}

void end_line(std::string& out, const std::string& line) {
  out += line;
  out += '\n';
}

std::vector<std::string> metric_keys(const std::vector<PointRows>& rows) {
  std::vector<std::string> keys;
  for (const PointRows& point : rows) {
    for (const RepetitionRow& row : point) {
      for (const Metric& m : row.metrics) {
        if (std::find(keys.begin(), keys.end(), m.key) == keys.end()) keys.push_back(m.key);
      }
    }
  }
  return keys;
}

std::optional<double> metric_of(const RepetitionRow& row, const std::string& key) {
  for (const Metric& m : row.metrics) {
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

// Columns that tell points apart apart from the design (queue.design and a swept whole `queue` map).
std::vector<std::string> comparison_columns(const Suite& suite) {
  std::vector<std::string> columns = suite.param_columns();
  std::erase(columns, std::string("queue"));
  return columns;
}

void comparisons_for_run(const SuiteRun& run, const std::vector<std::string>& columns,
                         const std::map<const SuitePoint*, const PointRows*>& rows_of, std::string& out) {
  // Groups of points equal in every non-design column, in order of first appearance.
  std::vector<std::pair<std::vector<std::string>, std::vector<const SuitePoint*>>> groups;
  for (const SuitePoint& point : run.points) {
    std::vector<std::string> key;
    for (const std::string& column : columns) key.push_back(point.param(column));
    auto group = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (group == groups.end()) group = groups.insert(groups.end(), {key, {}});
    const bool seen = std::any_of(group->second.begin(), group->second.end(),
                                  [&](const SuitePoint* p) { return p->design == point.design; });
    if (!seen) group->second.push_back(&point);
  }
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    const SuitePoint& baseline = *members.front();
    const PointRows& base_rows = *rows_of.at(&baseline);
    for (std::size_t d = 1; d < members.size(); ++d) {
      const PointRows& rows = *rows_of.at(members[d]);
      for (const Metric& m : base_rows.empty() ? std::vector<Metric>{} : base_rows.front().metrics) {
        if (is_timing(m.key)) continue;
        std::vector<double> differences;
        for (const RepetitionRow& base : base_rows) {
          for (const RepetitionRow& other : rows) {
            if (other.repetition != base.repetition) continue;
            const auto a = metric_of(base, m.key);
            const auto b = metric_of(other, m.key);
            if (a && b && has_samples(*a) && has_samples(*b)) differences.push_back(*b - *a);
          }
        }
        const Summary s = summarize(differences);
        std::string line;
        add_field(line, run.name);
        for (const std::string& value : key) add_field(line, value);
        for (const std::string& field : {baseline.design, members[d]->design, m.key, number_text(s.mean),
                                         number_text(s.ci95), std::to_string(differences.size())}) {
          add_field(line, field);
        }
        end_line(out, line);
      }
    }
  }
}

}  // namespace

std::vector<PointRows> read_point_rows(const Suite& suite, const std::filesystem::path& out) {
  std::vector<PointRows> rows;
  for (const SuitePoint* point : suite.points()) {
    const std::filesystem::path file = out / point->folder() / "summary.json";
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file.string() + ": missing (the point has not run)");
    const auto summary = nlohmann::ordered_json::parse(in);
    PointRows point_rows;
    for (const auto& run : summary.at("runs")) {
      RepetitionRow row;
      row.repetition = run.at("repetition").get<std::uint32_t>();
      row.seed = run.at("seed").get<std::uint64_t>();
      for (const auto& [key, value] : run.at("metrics").items()) {
        row.metrics.push_back({key, value.is_null() ? kNoSamples : value.get<double>()});  // null: an empty cell
      }
      point_rows.push_back(std::move(row));
    }
    rows.push_back(std::move(point_rows));
  }
  return rows;
}

std::string results_csv(const Suite& suite, const std::vector<PointRows>& rows) {
  const std::vector<ResultColumn> columns = result_columns(suite);
  const std::vector<std::string> keys = metric_keys(rows);
  std::string header = "run,point,design";
  for (const ResultColumn& column : columns) add_field(header, column.name);
  header += ",repetition,seed";
  for (const std::string& key : keys) add_field(header, key);
  std::string out;
  end_line(out, header);
  const std::vector<const SuitePoint*> points = suite.points();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const SuitePoint& point = *points[i];
    std::string prefix;
    for (const std::string& field : {point.run, point.id, point.design}) add_field(prefix, field);
    for (const ResultColumn& column : columns) add_field(prefix, column_value(column, point));
    for (const RepetitionRow& row : rows.at(i)) {
      std::string line = prefix;
      add_field(line, std::to_string(row.repetition));
      add_field(line, std::to_string(row.seed));
      for (const std::string& key : keys) {
        const auto value = metric_of(row, key);
        add_field(line, value && has_samples(*value) ? number_text(*value) : std::string());
      }
      end_line(out, line);
    }
  }
  return out;
}

std::string comparisons_csv(const Suite& suite, const std::vector<PointRows>& rows) {
  const std::vector<std::string> columns = comparison_columns(suite);
  std::map<const SuitePoint*, const PointRows*> rows_of;
  const std::vector<const SuitePoint*> points = suite.points();
  for (std::size_t i = 0; i < points.size(); ++i) rows_of[points[i]] = &rows.at(i);
  std::string body;
  for (const SuiteRun& run : suite.runs) comparisons_for_run(run, columns, rows_of, body);
  if (body.empty()) return "";
  std::string header = "run";
  for (const std::string& column : columns) add_field(header, column);
  header += ",baseline,design,metric,mean_difference,ci95,n\n";
  return header + body;
}

nlohmann::ordered_json point_json(const SuitePoint& point) {
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  nlohmann::ordered_json numeric = nlohmann::ordered_json::object();
  for (const Param& p : point.params) {
    params[p.path] = p.value;
    if (const auto value = numeric_value(p.value)) numeric[p.path] = *value;
  }
  return {{"run", point.run},
          {"point", point.id},
          {"folder", point.folder()},
          {"scenario", point.scenario.name},
          {"design", point.design},
          {"params", params},
          {"numeric", numeric},
          {"repetitions", point.scenario.repetitions},
          {"seed", point.scenario.seed},
          {"scenario_hash", hash_text(point.scenario_hash)}};
}

nlohmann::ordered_json suite_json(const Suite& suite) {
  nlohmann::ordered_json doc;
  doc["qlab_version"] = version();
  doc["name"] = suite.name;
  doc["description"] = suite.description;
  doc["file"] = suite.file;
  doc["param_columns"] = suite.param_columns();
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const SuiteRun& run : suite.runs) {
    std::vector<std::string> designs;
    for (const SuitePoint& point : run.points) {
      if (std::find(designs.begin(), designs.end(), point.design) == designs.end()) designs.push_back(point.design);
      points.push_back(point_json(point));
    }
    runs.push_back({{"name", run.name},
                    {"scenario", run.scenario_file},
                    {"set", run.set_paths},
                    {"swept", run.swept_paths},
                    {"designs", designs},
                    {"plot", run.plot},
                    {"claim", run.claim},
                    {"points", run.points.size()}});
  }
  doc["runs"] = runs;
  doc["points"] = points;
  return doc;
}

void write_suite_reports(const Suite& suite, const std::filesystem::path& out) {
  const std::vector<PointRows> rows = read_point_rows(suite, out);
  for (const SuitePoint* point : suite.points()) {
    const std::filesystem::path file = out / point->folder() / "point.json";
    const std::string text = point_json(*point).dump(2) + "\n";
    std::ifstream in(file, std::ios::binary);
    const std::string current((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (current != text) write_file_atomically(file, text);
  }
  write_file_atomically(out / "results.csv", results_csv(suite, rows));
  const std::string comparisons = comparisons_csv(suite, rows);
  if (comparisons.empty()) {
    std::filesystem::remove(out / "comparisons.csv");
  } else {
    write_file_atomically(out / "comparisons.csv", comparisons);
  }
  write_file_atomically(out / "suite.json", suite_json(suite).dump(2) + "\n");
}

void remove_suite_reports(const std::filesystem::path& out) {
  for (const char* file : {"suite.json", "results.csv", "comparisons.csv"}) std::filesystem::remove(out / file);
}

}  // namespace qlab::bench
