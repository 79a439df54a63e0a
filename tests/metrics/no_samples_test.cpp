// A metric without samples is written as null, not as a 0 that reads like a measurement.
#include <gtest/gtest.h>

#include "metrics/results_writer.hpp"

namespace qlab {
namespace {

RunResult run_with(std::uint32_t repetition, double latency_mean) {
  RunResult run;
  run.repetition = repetition;
  run.metrics = {{"published", 10}, {"latency_mean", latency_mean}};
  return run;
}

const RunInfo kInfo{"sim", "s", "pull", 1, nlohmann::ordered_json::object()};

TEST(NoSamples, AMetricWithoutSamplesInAnyRepetitionIsNullWithItsReason) {
  const auto summary = summary_json(kInfo, {run_with(0, kNoSamples), run_with(1, kNoSamples)});
  const auto& latency = summary["metrics"]["latency_mean"];
  for (const char* field : {"mean", "ci95", "min", "max"}) EXPECT_TRUE(latency[field].is_null()) << field;
  EXPECT_EQ(latency["reason"], "no samples");
  EXPECT_TRUE(summary["runs"][0]["metrics"]["latency_mean"].is_null());
  EXPECT_EQ(summary["metrics"]["published"]["mean"], 10);
}

TEST(NoSamples, TheSummaryIsOverTheRepetitionsThatHadSamples) {
  const auto summary = summary_json(kInfo, {run_with(0, kNoSamples), run_with(1, 2.0), run_with(2, 4.0)});
  EXPECT_DOUBLE_EQ(summary["metrics"]["latency_mean"]["mean"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(summary["metrics"]["latency_mean"]["min"].get<double>(), 2.0);
  EXPECT_TRUE(summary["runs"][0]["metrics"]["latency_mean"].is_null());
  EXPECT_EQ(summary["runs"][1]["metrics"]["latency_mean"], 2.0);
}

}  // namespace
}  // namespace qlab
