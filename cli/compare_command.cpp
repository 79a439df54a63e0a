// `qlab compare A B`: two results folders (sim/sim, sim/live, live/live) side by side, with units, 95% CIs of
// each side and of the difference (Welch), significance marks, and a refusal when the scenarios differ.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "comparison_table.hpp"
#include "metrics/results_comparison.hpp"
#include "metrics/results_writer.hpp"

namespace qlab::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CompareArguments {
  std::string a;
  std::string b;
  std::vector<std::string> metrics;
  std::string out;
  bool force = false;
};

// One results folder: where it is, how to call it, and its summary.json.
struct Side {
  std::string dir;
  std::string mode;
  std::string label;  // "MODE (FOLDER NAME)"
  std::string where;  // the path given, when it says more than the folder name
  Json summary;
};

Side read_side(const std::string& dir) {
  const std::filesystem::path path = std::filesystem::path(dir) / "summary.json";
  std::ifstream in(path);
  if (!in) fail_command("compare", path.string() + ": cannot open (is " + dir + " a results folder?)");
  Side side{dir, "?", "", "", Json()};
  try {
    side.summary = Json::parse(in);
  } catch (const Json::exception& e) {
    fail_command("compare", path.string() + ": not JSON (" + e.what() + ")");
  }
  if (!side.summary.is_object()) fail_command("compare", path.string() + ": not a summary (expected a JSON object)");
  if (side.summary.contains("mode") && side.summary["mode"].is_string()) side.mode = side.summary["mode"];
  std::error_code ec;
  const std::string name = std::filesystem::weakly_canonical(dir, ec).filename().string();
  side.label = side.mode + " (" + (ec || name.empty() ? dir : name) + ")";
  if (!ec && name != dir) side.where = " [" + dir + "]";
  return side;
}

std::string text_of(const Json& summary, const char* key) {
  if (!summary.contains(key)) return "?";
  return summary[key].is_string() ? summary[key].get<std::string>() : summary[key].dump();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// One line per difference, without a final newline.
std::string differences_text(const std::vector<ScenarioDifference>& differences) {
  std::string out;
  for (const ScenarioDifference& d : differences) {
    out += (out.empty() ? "  " : "\n  ") + d.path + ": " + d.a + " (A) vs " + d.b + " (B)";
  }
  return out;
}

Json optional_json(const std::optional<double>& value) { return value ? Json(*value) : Json(); }

Json side_json(const SideValue& side) {
  Json out = {{"mean", optional_json(side.mean)}, {"ci95", side.mean ? Json(side.ci95) : Json()}, {"n", side.n}};
  if (!side.mean) out["reason"] = side.reason;
  return out;
}

Json comparison_json(const Side& a, const Side& b, const ResultsComparison& result, bool forced) {
  // Older readers know the rows' mean and CI under "sim" and "live": kept when the two modes are those two.
  const bool mode_named = a.mode != b.mode && (a.mode == "sim" || a.mode == "live") && (b.mode == "sim" || b.mode == "live");
  Json rows = Json::array();
  for (const MetricComparison& r : result.rows) {
    Json row = {{"metric", r.key},
                {"a", side_json(r.a)},
                {"b", side_json(r.b)},
                {"difference", optional_json(r.difference)},
                {"difference_ci95", optional_json(r.difference_ci95)},
                {"welch_df", r.difference_ci95 ? Json(r.welch_df) : Json()},
                {"significant", r.difference_ci95 ? Json(r.significant) : Json()},
                {"relative", optional_json(r.relative)}};
    if (mode_named) {
      for (const auto& [mode, side] : {std::pair{a.mode, &r.a}, std::pair{b.mode, &r.b}}) {
        row[mode] = optional_json(side->mean);
        row[mode + "_ci95"] = side->mean ? Json(side->ci95) : Json();
      }
    }
    rows.push_back(row);
  }
  Json differences = Json::array();
  for (const ScenarioDifference& d : result.scenario_differences) {
    differences.push_back({{"key", d.path}, {"a", d.a}, {"b", d.b}});
  }
  return {{"scenario", a.summary.value("scenario", "")},
          {"a", a.dir},
          {"b", b.dir},
          {"a_mode", a.mode},
          {"b_mode", b.mode},
          {"metrics", rows},
          {"only_in_a", result.only_in_a},
          {"only_in_b", result.only_in_b},
          {"scenario_differences", differences},
          {"forced", forced},
          {"warnings", result.warnings}};
}

void print_comparison(const Side& a, const Side& b, const ResultsComparison& result) {
  for (const auto& [letter, side] : {std::pair{"A", &a}, std::pair{"B", &b}}) {
    const std::string repetitions = text_of(side->summary, "repetitions");
    std::printf("%s = %s%s: scenario %s, design %s, %s repetition%s, seed %s\n", letter, side->label.c_str(),
                side->where.c_str(), text_of(side->summary, "scenario").c_str(), text_of(side->summary, "design").c_str(),
                repetitions.c_str(), repetitions == "1" ? "" : "s", text_of(side->summary, "seed").c_str());
  }
  if (!result.scenario_differences.empty()) {
    std::printf("WARNING: the scenarios differ (compared anyway, --force):\n%s\n",
                differences_text(result.scenario_differences).c_str());
  }
  Table table{{"metric", "A " + a.label, "B " + b.label, "difference B-A", "relative"}};
  bool any_significant = false;
  for (const MetricComparison& r : result.rows) {
    table.push_back({r.key, side_cell(r.key, r.a), side_cell(r.key, r.b), difference_cell(r), relative_cell(r)});
    any_significant = any_significant || r.significant;
  }
  std::printf("%s", format_table(table).c_str());
  if (any_significant) std::printf("* the 95%% CI of the difference (Welch) excludes 0\n");
  for (const MetricComparison& r : result.rows) {
    for (const auto& [letter, side] : {std::pair{"A", &r.a}, std::pair{"B", &r.b}}) {
      if (!side->mean) std::printf("not measured in %s: %s: %s\n", letter, r.key.c_str(), side->reason.c_str());
    }
  }
  if (!result.only_in_a.empty()) std::printf("only in A: %s\n", joined(result.only_in_a).c_str());
  if (!result.only_in_b.empty()) std::printf("only in B: %s\n", joined(result.only_in_b).c_str());
}

void run_compare(const CompareArguments& args) {
  const Side a = read_side(args.a);
  const Side b = read_side(args.b);
  ResultsComparison result;
  try {
    result = compare_results(a.summary, b.summary, args.metrics);
  } catch (const std::invalid_argument& e) {
    fail_command("compare", e.what());
  }
  if (!result.scenario_differences.empty()) {
    if (!args.force) {
      fail_command("compare", "refused: the two runs are of different scenarios; only the `live` block and repetitions may differ "
           "(--force compares anyway):\n" + differences_text(result.scenario_differences));
    }
    std::fprintf(stderr, "qlab compare: WARNING: comparing different scenarios (--force):\n%s\n",
                 differences_text(result.scenario_differences).c_str());
  }
  for (const std::string& warning : result.warnings) std::fprintf(stderr, "qlab compare: warning: %s\n", warning.c_str());
  print_comparison(a, b, result);
  if (!args.out.empty()) {
    write_file_atomically(args.out, comparison_json(a, b, result, args.force && !result.scenario_differences.empty())
                                        .dump(2) + "\n");
  }
}

}  // namespace

void add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArguments>();
  auto* command = app.add_subcommand(
      "compare", "Put two results folders side by side (sim/sim, sim/live, live/live) with 95% CIs (Welch)");
  command->add_option("a", args->a, "results folder A (of `qlab run` or `qlab live`)")->required();
  command->add_option("b", args->b, "results folder B; differences are B - A")->required();
  command->add_option("--metrics", args->metrics, "only these metrics (comma-separated)")->delimiter(',');
  command->add_option("--out", args->out, "also write the comparison as JSON to this file");
  command->add_flag("--force", args->force, "compare even when the scenarios differ (with a warning)");
  command->callback([args] { run_compare(*args); });
}

}  // namespace qlab::cli
