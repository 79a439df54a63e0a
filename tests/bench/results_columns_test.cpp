// Issue 11 (results people load into pandas): a swept queue map is flattened into the design column and one
// column per parameter, and values with units get a number in SI base units beside them.
#include "bench/results_columns.hpp"

#include <gtest/gtest.h>

#include "suite_files.hpp"

namespace qlab::bench {
namespace {

using ResultColumns = testing::SuiteFiles;

TEST_F(ResultColumns, ASweptQueueMapBecomesOneColumnPerParameterAndUnitsGetNumbers) {
  const Suite suite = load(
      "name: s\nrepetitions: 1\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue:\n        - {design: pull}\n"
      "        - {design: preassigned, assignment: random}\n        - {design: visibility_timeout, visibility_timeout: 5s}\n"
      "      consumers[1].service.mean: [40ms, 5s]\n      consumers[0].count: [1, 2]\n");
  std::vector<std::string> names;
  for (const ResultColumn& c : result_columns(suite)) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"queue.assignment", "queue.visibility_timeout", "queue.visibility_timeout_si",
                                             "consumers[1].service.mean", "consumers[1].service.mean_si",
                                             "consumers[0].count"}));
  const std::vector<ResultColumn> columns = result_columns(suite);
  const std::vector<const SuitePoint*> points = suite.points();
  ASSERT_EQ(points.size(), 12u);
  // Points: queue x mean x count; point 10 is visibility_timeout, 5s, count 1.
  const SuitePoint& vt = *points[10];
  EXPECT_EQ(vt.design, "visibility_timeout");
  EXPECT_EQ(column_value(columns[0], vt), "");
  EXPECT_EQ(column_value(columns[1], vt), "5s");
  EXPECT_EQ(column_value(columns[2], vt), "5");
  EXPECT_EQ(column_value(columns[3], vt), "5s");
  EXPECT_EQ(column_value(columns[4], vt), "5");
  EXPECT_EQ(column_value(columns[4], *points[0]), "0.04");  // 40ms sorts before 5s as a number
  EXPECT_EQ(column_value(columns[0], *points[4]), "random");
  EXPECT_EQ(column_value(columns[5], *points[5]), "2");
}

}  // namespace
}  // namespace qlab::bench
