// qlab export DIR --long: a results folder as one long CSV, one row per (point, repetition, metric), the
// shape data-frame tools group and pivot without reshaping (pandas.read_csv, then groupby or pivot_table).
// A suite folder is read from its results.csv, a run folder from its summary.json.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "flag_checks.hpp"
#include "metrics/results_writer.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::cli {
namespace {

using Row = std::vector<std::string>;

struct ExportArguments {
  std::string dir;
  bool long_format = false;
  std::string out;
};

// RFC 4180 records: fields separated by commas, quoted when they hold a comma, quote or newline.
std::vector<Row> parse_csv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string csv_line(const Row& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    if (fields[i].find_first_of(",\"\n") == std::string::npos) {
      line += fields[i];
      continue;
    }
    line += '"';
    for (const char c : fields[i]) line += c == '"' ? std::string("\"\"") : std::string(1, c);
    line += '"';
  }
  return line + "\n";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// results.csv: the columns up to `seed` identify a row; each later column is a metric.
std::string long_from_results_csv(const std::filesystem::path& file) {
  const std::vector<Row> rows = parse_csv(read_file(file));
  if (rows.empty()) throw workloads::ScenarioError(file.string() + ": empty (expected results.csv of qlab suite)");
  const Row& header = rows.front();
  std::size_t metrics_from = 0;
  while (metrics_from < header.size() && header[metrics_from] != "seed") ++metrics_from;
  if (metrics_from == header.size()) throw workloads::ScenarioError(file.string() + ": no seed column (expected results.csv of qlab suite)");
  ++metrics_from;
  Row out_header(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(metrics_from));
  out_header.insert(out_header.end(), {"metric", "value"});
  std::string out = csv_line(out_header);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Row& row = rows[r];
    if (row.size() != header.size()) {
      throw workloads::ScenarioError(file.string() + ":" + std::to_string(r + 1) + ": " + std::to_string(row.size()) +
                                     " fields (expected " + std::to_string(header.size()) + " as in the header)");
    }
    Row ids(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(metrics_from));
    for (std::size_t m = metrics_from; m < header.size(); ++m) {
      Row line = ids;
      line.insert(line.end(), {header[m], row[m]});
      out += csv_line(line);
    }
  }
  return out;
}

// The shortest text that reads back as the number (as results.csv writes it); "" for null (not measured).
std::string number_text(const nlohmann::ordered_json& value) {
  if (!value.is_number()) return "";
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value.get<double>());
  return std::string(text, end);
}

// summary.json of qlab run or qlab live: one point, its repetitions.
std::string long_from_summary(const std::filesystem::path& file) {
  nlohmann::ordered_json summary;
  try {
    summary = nlohmann::ordered_json::parse(read_file(file));
  } catch (const nlohmann::ordered_json::exception& e) {
    throw workloads::ScenarioError(file.string() + ": not JSON (" + e.what() + ")");
  }
  if (!summary.is_object() || !summary.contains("runs") || !summary["runs"].is_array()) {
    throw workloads::ScenarioError(file.string() + ": no \"runs\" list (expected summary.json of qlab run or qlab live)");
  }
  std::string out = csv_line({"run", "point", "design", "repetition", "seed", "metric", "value"});
  const std::string scenario = summary.value("scenario", "");
  const std::string design = summary.value("design", "");
  for (const auto& run : summary["runs"]) {
    const std::string repetition = number_text(run.value("repetition", nlohmann::ordered_json()));
    const std::string seed = number_text(run.value("seed", nlohmann::ordered_json()));
    if (!run.contains("metrics") || !run["metrics"].is_object()) continue;
    for (const auto& [key, value] : run["metrics"].items()) {
      out += csv_line({scenario, "000", design, repetition, seed, key, number_text(value)});
    }
  }
  return out;
}

void export_results(const ExportArguments& args) {
  if (!args.long_format) {
    throw workloads::ScenarioError("export: --long is the one format it writes (expected --long; results.csv is the wide format)");
  }
  const std::filesystem::path dir(args.dir);
  std::string text;
  if (std::filesystem::is_regular_file(dir / "results.csv")) {
    text = long_from_results_csv(dir / "results.csv");
  } else if (std::filesystem::is_regular_file(dir / "summary.json")) {
    text = long_from_summary(dir / "summary.json");
  } else {
    throw workloads::ScenarioError(args.dir + ": no results.csv or summary.json (expected a folder of qlab suite, run or live --out)");
  }
  if (args.out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  const std::filesystem::path out = args.out.empty() ? dir / "results_long.csv" : std::filesystem::path(args.out);
  check_output_path(out.string(), "--out", false);
  write_file_atomically(out, text);
  std::printf("%s\n", out.string().c_str());
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto args = std::make_shared<ExportArguments>();
  auto* command = app.add_subcommand("export", "Write a results folder as long-format CSV (point, repetition, metric, value)");
  command->add_option("dir", args->dir, "A results folder of qlab suite, run or live (--out)")->required();
  command->add_flag("--long", args->long_format, "One row per point, repetition and metric");
  command->add_option("--out,-o", args->out, "The CSV file (default DIR/results_long.csv; - for standard output)");
  command->callback([args] { export_results(*args); });
}

}  // namespace qlab::cli
