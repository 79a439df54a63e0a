#include "bench/suite.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "bench/suite_plot.hpp"
#include "workloads/node_reader.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_override.hpp"
#include "workloads/scenario_writer.hpp"
#include "workloads/yaml_document.hpp"

namespace qlab::bench {
namespace {

using workloads::Field;
using workloads::MapView;
using workloads::NodeReader;
using workloads::ScenarioError;
using workloads::Source;

constexpr std::int64_t kMaxCount = std::numeric_limits<std::uint32_t>::max();
// Every point is loaded (and later run) on its own: a sweep beyond this is a typo, not a benchmark.
constexpr double kMaxPointsPerRun = 10'000;

// Design labels: queue.design, except where a run sweeps whole `queue` maps naming one design more than once
// (preassigned with round_robin and with random): those variants get the values that tell them apart
// appended: preassigned/round_robin, replicated/replicas=3/leader. A word stands alone; a number or
// duration is shown with its key.
void label_designs(std::vector<SuitePoint>& points) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> values;  // design -> key -> values
  std::map<std::string, std::set<std::string>> variants;                      // design -> swept queue maps
  for (const SuitePoint& point : points) {
    variants[point.scenario.queue.design].insert(point.param("queue"));
    const YAML::Node queue = YAML::Load(point.param("queue"));
    if (!queue.IsMap()) continue;
    for (const auto& entry : queue) values[point.scenario.queue.design][entry.first.Scalar()].insert(yaml_text(entry.second));
  }
  static const std::regex word("[A-Za-z_]+");
  for (SuitePoint& point : points) {
    const std::string& design = point.scenario.queue.design;
    point.design = design;
    if (variants[design].size() < 2) continue;
    const YAML::Node queue = YAML::Load(point.param("queue"));
    if (!queue.IsMap()) continue;
    for (const auto& entry : queue) {
      const std::string key = entry.first.Scalar();
      const std::string value = yaml_text(entry.second);
      bool differs = values[design][key].size() > 1;
      // A key only some variants set also tells them apart.
      for (const std::string& other : variants[design]) differs |= other.find(key + ":") == std::string::npos;
      if (key == "design" || !differs) continue;
      point.design += "/" + (std::regex_match(value, word) ? value : key + "=" + value);
    }
  }
}

struct RunSpec {
  std::string name;
  Field self;
  Field scenario_field;
  Field name_field;  // the name, or the scenario it defaults from
  std::string scenario_file;
  std::string scenario_text;
  std::vector<Param> fixed;  // repetitions and seed from the suite, then `set`
  std::vector<Param> set;
  std::vector<Axis> axes;
  nlohmann::ordered_json plot;
  std::string claim;
};

class SuiteBuilder {
 public:
  explicit SuiteBuilder(const std::string& file) : source_(file, {}), read_(source_) {}

  Suite build(const YAML::Node& root) {
    const Field top{root, "", root.Mark(), root.Mark()};
    if (!root.IsMap()) read_.fail(top, "the suite is not a map", "a map with name and runs");
    const MapView m = read_.map(top, "a suite map");
    m.check_known({"name", "description", "repetitions", "seed", "runs"}, "the suite");
    Suite suite;
    suite.file = source_.file();
    suite.name = read_.name(m.require("name", "name: letters, digits, '-' and '_'"));
    if (auto f = m.get("description")) suite.description = read_.string(*f, "free text");
    std::vector<Param> fixed;
    if (auto f = m.get("repetitions")) {
      suite.repetitions = static_cast<std::uint32_t>(read_.integer(*f, 1, kMaxCount));
      fixed.push_back(Param{"repetitions", std::to_string(*suite.repetitions), f->path, f->mark});
    }
    if (auto f = m.get("seed")) {
      suite.seed = read_.unsigned_integer(*f);
      fixed.push_back(Param{"seed", std::to_string(*suite.seed), f->path, f->mark});
    }
    const Field runs_field = m.require("runs", "a list of runs, each with a scenario");
    const std::vector<Field> runs = read_.list(runs_field, "a list of runs, each with a scenario");
    if (runs.empty()) read_.fail(runs_field, "no runs", "a list of runs, each with a scenario");

    std::vector<RunSpec> specs;
    for (const Field& run : runs) {
      specs.push_back(read_run(run, fixed));
      for (std::size_t i = 0; i + 1 < specs.size(); ++i) {
        if (specs[i].name != specs.back().name) continue;
        read_.fail(specs.back().name_field, "duplicate run name '" + specs.back().name + "', first used by " + specs[i].self.path,
                   "unique run names; add name: to tell runs of one scenario apart");
      }
    }
    for (const RunSpec& spec : specs) suite.runs.push_back(expand_run(spec));
    return suite;
  }

 private:
  RunSpec read_run(const Field& field, const std::vector<Param>& suite_fixed) {
    const MapView m = read_.map(field, "a run: a map with scenario and optionally name, repetitions, set, sweep, zip, plot, claim");
    m.check_known({"name", "scenario", "repetitions", "set", "sweep", "zip", "plot", "claim"}, "a run");
    RunSpec spec;
    spec.self = field;
    spec.fixed = suite_fixed;
    spec.scenario_field = m.require("scenario", "a scenario file, relative to the suite file");
    const std::string written = read_.string(spec.scenario_field, "a scenario file, relative to the suite file");
    const std::filesystem::path path = (std::filesystem::path(source_.file()).parent_path() / written).lexically_normal();
    spec.scenario_file = path.string();
    if (!std::filesystem::is_regular_file(path)) {
      read_.fail(spec.scenario_field, "no such file: " + spec.scenario_file, "a scenario file, relative to the suite file");
    }
    try {
      spec.scenario_text = workloads::read_text_file(spec.scenario_file, "a scenario file");  // bounded: /proc files are regular too
    } catch (const ScenarioError& e) {
      read_.fail(spec.scenario_field, e.what(), "a scenario file, relative to the suite file");
    }
    spec.name = path.stem().string();
    spec.name_field = spec.scenario_field;
    if (auto f = m.get("name")) {
      spec.name = read_.name(*f);
      spec.name_field = *f;
    }
    if (auto f = m.get("repetitions")) {
      const auto reps = read_.integer(*f, 1, kMaxCount);
      spec.fixed.push_back(Param{"repetitions", std::to_string(reps), f->path, f->mark});
    }
    std::vector<std::string> paths;
    for (const auto& [key, entry] : m.entries()) {
      if (key == "set") {
        const MapView set = read_.map(entry, "a map from scenario path to value");
        for (const auto& [path_text, value] : set.entries()) {
          spec.set.push_back(param(path_text, value, yaml_text(value.node), paths));
        }
      } else if (key == "sweep") {
        const MapView sweep = read_.map(entry, "a map from scenario path to a list of values");
        for (const auto& [path_text, values] : sweep.entries()) {
          Axis axis;
          axis.columns.push_back(param(path_text, values, "", paths));
          for (const std::string& value : value_list(values)) axis.rows.push_back({value});
          spec.axes.push_back(std::move(axis));
        }
      } else if (key == "zip") {
        spec.axes.push_back(read_zip(entry, paths));
      } else if (key == "claim") {
        spec.claim = read_.string(entry, "one or two sentences the run is meant to show");
      }
    }
    // After the sweep is known: the plot map names swept paths.
    if (auto f = m.get("plot")) spec.plot = read_plot_map(read_, *f, spec.axes);
    double points = 1;
    for (const Axis& axis : spec.axes) points *= static_cast<double>(axis.rows.size());
    if (points > kMaxPointsPerRun) {
      read_.fail(field, "the sweep has " + std::to_string(static_cast<unsigned long long>(std::min(points, 1e19))) + " points",
                 "at most 10000 points per run");
    }
    return spec;
  }

  Axis read_zip(const Field& field, std::vector<std::string>& paths) {
    const MapView zip = read_.map(field, "a map from scenario path to a list of values, all of one length");
    if (zip.entries().empty()) read_.fail(field, "empty zip", "a map from scenario path to a list of values");
    Axis axis;
    std::size_t length = 0;
    const Field* first = nullptr;
    for (const auto& [path_text, values] : zip.entries()) {
      axis.columns.push_back(param(path_text, values, "", paths));
      const std::vector<std::string> column = value_list(values);
      if (first == nullptr) {
        first = &values;
        length = column.size();
        axis.rows.resize(length);
      } else if (column.size() != length) {
        read_.fail(values, std::to_string(column.size()) + " values, but " + first->path + " has " + std::to_string(length),
                   "lists of equal length in a zip");
      }
      for (std::size_t i = 0; i < length; ++i) axis.rows[i].push_back(column[i]);
    }
    return axis;
  }

  // A scenario path given as a key, checked for its form and for being given once in the run.
  Param param(const std::string& path_text, const Field& entry, std::string value, std::vector<std::string>& paths) {
    std::string path;
    try {
      path = workloads::format_path(workloads::parse_path(path_text));
    } catch (const ScenarioError& e) {
      const std::string prefix = "--set " + path_text + ": ";
      const std::string what = std::string(e.what()).starts_with(prefix) ? std::string(e.what()).substr(prefix.size()) : e.what();
      source_.fail(entry.key_mark, entry.path, "not a scenario path: " + what);
    }
    if (std::find(paths.begin(), paths.end(), path) != paths.end()) {
      source_.fail(entry.key_mark, entry.path, "scenario path " + path + " is given twice in this run (expected each path once across set, sweep and zip)");
    }
    paths.push_back(path);
    return Param{path, std::move(value), entry.path, entry.key_mark};
  }

  std::vector<std::string> value_list(const Field& field) const {
    const std::vector<Field> items = read_.list(field, "a list of values, e.g. [1s, 2s, 4s]");
    if (items.empty()) read_.fail(field, "empty list", "at least one value");
    std::vector<std::string> values;
    for (const Field& item : items) values.push_back(yaml_text(item.node));
    return values;
  }

  SuiteRun expand_run(const RunSpec& spec) const {
    SuiteRun run;
    run.name = spec.name;
    run.scenario_file = spec.scenario_file;
    run.plot = spec.plot;
    run.claim = spec.claim;
    for (const Param& p : spec.set) run.set_paths.push_back(p.path);
    for (const Axis& axis : spec.axes) {
      for (const Param& p : axis.columns) run.swept_paths.push_back(p.path);
    }
    const std::vector<std::vector<Param>> combinations = expand(spec.axes);
    for (std::size_t i = 0; i < combinations.size(); ++i) {
      SuitePoint point;
      point.run = spec.name;
      point.index = i;
      char id[32];
      std::snprintf(id, sizeof id, "%03zu", i);
      point.id = id;
      point.params = spec.set;
      point.params.insert(point.params.end(), combinations[i].begin(), combinations[i].end());
      std::vector<Param> blame = spec.fixed;
      blame.insert(blame.end(), point.params.begin(), point.params.end());
      std::vector<workloads::Override> overrides;
      for (const Param& p : blame) overrides.push_back({p.path, p.value});
      try {
        point.scenario = workloads::load_scenario_text(spec.scenario_text, spec.scenario_file, overrides);
        workloads::check_simulatable(point.scenario, spec.scenario_file);
      } catch (const ScenarioError& e) {
        fail_point(e, spec, blame, combinations[i]);
      }
      point.scenario_hash = scenario_hash(point.scenario);
      run.points.push_back(std::move(point));
    }
    check_distinct(spec, run.points);
    label_designs(run.points);
    return run;
  }

  // A point's folder is named by its scenario's hash, so two points of a run may not resolve to one scenario
  // (they would share a folder and give the same results).
  void check_distinct(const RunSpec& spec, const std::vector<SuitePoint>& points) const {
    std::map<std::uint64_t, const SuitePoint*> seen;
    const auto describe = [](const SuitePoint& point) {
      std::string text = point.id;
      for (std::size_t i = 0; i < point.params.size(); ++i) text += (i == 0 ? " (" : ", ") + point.params[i].path + "=" + point.params[i].value;
      return point.params.empty() ? text : text + ")";
    };
    for (const SuitePoint& point : points) {
      const auto [first, added] = seen.emplace(point.scenario_hash, &point);
      if (added) continue;
      read_.fail(spec.self, "points " + describe(*first->second) + " and " + describe(point) + " resolve to the same scenario",
                 "sweep values that change the scenario");
    }
  }

  // Blames a rejected point on the suite entry that gave the offending value, or on the run's scenario.
  [[noreturn]] void fail_point(const ScenarioError& e, const RunSpec& spec, const std::vector<Param>& blame,
                               const std::vector<Param>& swept) const {
    const std::string message = e.what();
    for (auto it = blame.rbegin(); it != blame.rend(); ++it) {
      const std::string prefix = workloads::override_place({it->path, it->value}) + ": ";
      if (message.starts_with(prefix)) {
        source_.fail(it->mark, it->suite_path,
                     "value " + it->value + " is rejected by " + spec.scenario_file + ": " + message.substr(prefix.size()));
      }
    }
    std::string where;
    for (const Param& p : swept) where += (where.empty() ? "at " : ", ") + p.path + "=" + p.value;
    source_.fail(spec.scenario_field.mark, spec.scenario_field.path, (where.empty() ? "" : where + ": ") + message);
  }

  Source source_;
  NodeReader read_;
};

}  // namespace

std::string SuitePoint::folder() const { return "runs/" + run + "/" + hash_text(scenario_hash); }

std::string SuitePoint::param(const std::string& path) const {
  for (const Param& p : params) {
    if (p.path == path) return p.value;
  }
  return "";
}

std::vector<std::string> Suite::param_columns() const {
  std::vector<std::string> columns;
  const auto add = [&columns](const std::string& path) {
    if (path != "queue.design" && std::find(columns.begin(), columns.end(), path) == columns.end()) columns.push_back(path);
  };
  for (const SuiteRun& run : runs) {
    for (const std::string& path : run.set_paths) add(path);
    for (const std::string& path : run.swept_paths) add(path);
  }
  return columns;
}

std::vector<const SuitePoint*> Suite::points() const {
  std::vector<const SuitePoint*> all;
  for (const SuiteRun& run : runs) {
    for (const SuitePoint& point : run.points) all.push_back(&point);
  }
  return all;
}

std::size_t Suite::point_count() const {
  std::size_t n = 0;
  for (const SuiteRun& run : runs) n += run.points.size();
  return n;
}

std::size_t Suite::task_count() const {
  std::size_t n = 0;
  for (const SuiteRun& run : runs) {
    for (const SuitePoint& point : run.points) n += point.scenario.repetitions;
  }
  return n;
}

Suite load_suite_file(const std::string& file) {
  return load_suite_text(workloads::read_text_file(file, "a suite file"), file);
}

Suite load_suite_text(const std::string& yaml, const std::string& file) {
  return SuiteBuilder(file).build(workloads::parse_yaml(yaml, file, "a suite map"));
}

std::size_t filter_runs(Suite& suite, const std::string& pattern) {
  const bool glob = pattern.find_first_of("*?[") != std::string::npos;
  std::erase_if(suite.runs, [&](const SuiteRun& run) {
    return glob ? fnmatch(pattern.c_str(), run.name.c_str(), 0) != 0 : run.name.find(pattern) == std::string::npos;
  });
  return suite.runs.size();
}

std::uint64_t scenario_hash(const nlohmann::ordered_json& resolved) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : resolved.dump()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

std::uint64_t scenario_hash(const qlab::Scenario& scenario) { return scenario_hash(workloads::scenario_to_json(scenario)); }

std::string hash_text(std::uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace qlab::bench
