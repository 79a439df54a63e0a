// The suite files' content: results.csv columns and rows, paired differences in comparisons.csv, suite.json.
#include "bench/suite_reports.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "bench/suite_runner.hpp"
#include "metrics/statistics.hpp"
#include "suite_files.hpp"

namespace qlab::bench {
namespace {

using SuiteReports = testing::SuiteFiles;
using testing::kTinySuite;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = line.find(',', from);
    fields.push_back(line.substr(from, comma - from));
    if (comma == std::string::npos) return fields;
    from = comma + 1;
  }
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    rows.push_back(split(text.substr(start, end - start)));
    start = end + 1;
  }
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
}

TEST_F(SuiteReports, ResultsHaveOneRowPerPointAndRepetitionWithEveryParameterColumn) {
  run(load(kTinySuite), "out", 2);
  const auto rows = csv_rows(read(dir_ / "out/results.csv"));
  ASSERT_EQ(rows.size(), 1u + 6 * 3);
  const std::vector<std::string>& header = rows[0];
  const std::vector<std::string> leading{"run", "point", "design", "consumers[1].service.mean", "consumers[1].service.mean_si",
                                         "consumers[0].count", "consumers[1].count", "repetition", "seed", "published"};
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 10), leading);
  for (const char* metric : {"makespan", "idle_with_backlog", "latency_p99", "duplicates", "lost", "wall_seconds"}) {
    EXPECT_LT(column(header, metric), header.size()) << metric;
  }
  EXPECT_EQ(std::vector<std::string>(rows[1].begin(), rows[1].begin() + 8),
            (std::vector<std::string>{"tiny", "000", "pull", "20ms", "0.02", "", "", "0"}));
  EXPECT_EQ(std::vector<std::string>(rows[10].begin(), rows[10].begin() + 8),
            (std::vector<std::string>{"tiny", "003", "preassigned", "40ms", "0.04", "", "", "0"}));
  EXPECT_EQ(std::vector<std::string>(rows[18].begin(), rows[18].begin() + 8),
            (std::vector<std::string>{"zipped", "001", "pull", "60ms", "0.06", "3", "2", "2"}));
  EXPECT_EQ(rows[18][column(header, "published")], "200");
  // Common random numbers: repetition r has the same seed at every point.
  for (const auto& row : rows) {
    if (&row == &rows[0]) continue;
    EXPECT_EQ(row[8], rows[1 + std::stoul(row[7])][8]);
  }
}

TEST_F(SuiteReports, ComparisonsArePairedDifferencesAgainstTheFirstDesign) {
  run(load(kTinySuite), "out", 2);
  const auto results = csv_rows(read(dir_ / "out/results.csv"));
  const std::size_t makespan = column(results[0], "makespan");
  // makespan per (slow mean, design, repetition)
  std::map<std::tuple<std::string, std::string, std::string>, double> value;
  for (std::size_t i = 1; i < results.size(); ++i) {
    if (results[i][0] == "tiny") value[{results[i][3], results[i][2], results[i][7]}] = std::stod(results[i][makespan]);
  }
  std::vector<double> differences;
  for (const char* r : {"0", "1", "2"}) differences.push_back(value[{"40ms", "preassigned", r}] - value[{"40ms", "pull", r}]);
  const Summary expected = summarize(differences);

  const auto rows = csv_rows(read(dir_ / "out/comparisons.csv"));
  EXPECT_EQ(rows[0], (std::vector<std::string>{"run", "consumers[1].service.mean", "consumers[0].count", "consumers[1].count",
                                               "baseline", "design", "metric", "mean_difference", "ci95", "n"}));
  bool found = false;
  for (const auto& row : rows) {
    if (row[0] != "tiny" || row[1] != "40ms" || row[6] != "makespan") continue;
    found = true;
    EXPECT_EQ(row[4], "pull");
    EXPECT_EQ(row[5], "preassigned");
    EXPECT_NEAR(std::stod(row[7]), expected.mean, 1e-9 * std::abs(expected.mean) + 1e-12);
    EXPECT_NEAR(std::stod(row[8]), expected.ci95, 1e-9 * expected.ci95 + 1e-12);
    EXPECT_EQ(row[9], "3");
  }
  EXPECT_TRUE(found);
  for (const auto& row : rows) {
    EXPECT_NE(row[0], "zipped");  // one design only: nothing to compare
    EXPECT_NE(row[6], "wall_seconds");
  }
  EXPECT_GT(expected.mean, 0);  // pre-assignment to slow consumers takes longer to drain the batch
}

TEST_F(SuiteReports, NoComparisonsWithoutASecondDesign) {
  run(load("name: s\nrepetitions: 2\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      consumers[0].count: [1, 2]\n"), "out", 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out/comparisons.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "out/results.csv"));
}

TEST_F(SuiteReports, SuiteJsonListsRunsWithTheirPlotsAndEveryPoint) {
  const Suite suite = load(kTinySuite);
  const auto doc = suite_json(suite);
  EXPECT_EQ(doc["name"], "tiny-suite");
  ASSERT_EQ(doc["runs"].size(), 2u);
  EXPECT_EQ(doc["runs"][0]["plot"]["x"], "consumers[1].service.mean");
  EXPECT_EQ(doc["runs"][0]["designs"], (nlohmann::ordered_json{"pull", "preassigned"}));
  EXPECT_EQ(doc["runs"][0]["swept"], (nlohmann::ordered_json{"queue.design", "consumers[1].service.mean"}));
  EXPECT_TRUE(doc["runs"][1]["plot"].is_null());
  ASSERT_EQ(doc["points"].size(), 6u);
  EXPECT_EQ(doc["points"][5]["folder"], suite.runs[1].points[1].folder());
  EXPECT_EQ(doc["points"][5]["point"], "001");
  EXPECT_EQ(doc["points"][5]["params"]["consumers[1].count"], "2");
  EXPECT_EQ(doc["points"][5]["numeric"]["consumers[1].service.mean"], 0.06);
}

TEST_F(SuiteReports, ParameterValuesReadAsNumbersForPlots) {
  EXPECT_EQ(numeric_value("4"), 4.0);
  EXPECT_EQ(numeric_value("250ms"), 0.25);
  EXPECT_EQ(numeric_value("3.5/s"), 3.5);
  EXPECT_EQ(numeric_value("60/m"), 1.0);
  EXPECT_EQ(numeric_value("4KiB"), 4096.0);
  EXPECT_EQ(numeric_value("pull"), std::nullopt);
  EXPECT_EQ(numeric_value("{design: pull}"), std::nullopt);
}

TEST_F(SuiteReports, ValuesWithCommasAreQuoted) {
  const Suite suite = load(
      "name: s\nrepetitions: 1\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue:\n        - {design: pull}\n"
      "        - {design: preassigned, assignment: random}\n"
      "      consumers[0].service: [{dist: exponential, mean: 10ms}]\n");
  run(suite, "out", 2);
  const std::string csv = read(dir_ / "out/results.csv");
  // The queue map is flattened (design, queue.assignment); the service map is one quoted field.
  EXPECT_EQ(csv.substr(0, csv.find(",repetition,")), "run,point,design,queue.assignment,consumers[0].service");
  EXPECT_NE(csv.find("tiny,001,preassigned,random,\"{dist: exponential, mean: 10ms}\",0,"), std::string::npos) << csv;
  const std::string comparisons = read(dir_ / "out/comparisons.csv");
  EXPECT_EQ(comparisons.substr(0, comparisons.find('\n')), "run,consumers[0].service,baseline,design,metric,mean_difference,ci95,n");
  EXPECT_NE(comparisons.find("\ntiny,\"{dist: exponential, mean: 10ms}\",pull,preassigned,makespan,"), std::string::npos)
      << comparisons;
}

}  // namespace
}  // namespace qlab::bench
