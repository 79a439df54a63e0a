// Two summaries side by side: Welch's interval against a hand computation, significance, metrics one side
// lacks or could not measure, and the scenario check that decides whether a comparison is allowed at all.
#include "metrics/results_comparison.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "metrics/statistics.hpp"

namespace qlab {
namespace {

using Json = nlohmann::ordered_json;
using Values = std::vector<std::pair<std::string, std::vector<double>>>;

constexpr const char* kScenario = R"({
  "name": "small", "seed": 5, "repetitions": 3, "duration": "1m",
  "queue": {"design": "visibility_timeout", "visibility_timeout": "2s"},
  "producers": [{"name": "p", "count": 1, "rate": "20/s"}],
  "faults": []
})";

// A summary.json as results_writer writes it: each metric's summary over its per-repetition values.
Json summary_of(const Values& values, Json resolved = Json::parse(kScenario)) {
  Json metrics = Json::object();
  std::size_t repetitions = 0;
  for (const auto& [key, runs] : values) {
    const Summary s = summarize(runs);
    metrics[key] = {{"mean", s.mean}, {"ci95", s.ci95}, {"min", s.min}, {"max", s.max}};
    repetitions = std::max(repetitions, runs.size());
  }
  Json runs = Json::array();
  for (std::size_t r = 0; r < repetitions; ++r) {
    Json run_metrics = Json::object();
    for (const auto& [key, per_run] : values) run_metrics[key] = per_run.at(r);
    runs.push_back({{"repetition", r}, {"seed", 5 + r}, {"metrics", run_metrics}});
  }
  return {{"mode", "sim"}, {"repetitions", repetitions}, {"scenario_resolved", std::move(resolved)},
          {"metrics", metrics}, {"runs", runs}};
}

TEST(WelchInterval, MatchesAHandComputation) {
  // a: mean 2, s^2 = 1, n = 3 -> s^2/n = 1/3.  b: mean 5, s^2 = 20/3, n = 4 -> s^2/n = 5/3.
  // se^2 = 2; df = 2^2 / ((1/3)^2/2 + (5/3)^2/3) = 4 / (1/18 + 25/27) = 4.0755; t(4) = 2.7764.
  const WelchInterval w = welch_interval({1, 2, 3}, {2, 4, 6, 8});
  EXPECT_DOUBLE_EQ(w.difference, 3);
  EXPECT_NEAR(w.df, 4.0 / (1.0 / 18 + 25.0 / 27), 1e-12);
  EXPECT_NEAR(w.df, 4.0755, 1e-4);
  EXPECT_NEAR(w.ci95, 2.7764 * std::sqrt(2.0), 1e-9);
}

TEST(WelchInterval, EqualVariancesAndSizesGiveThePooledDegreesOfFreedom) {
  const WelchInterval w = welch_interval({1, 2, 3, 4, 5}, {11, 12, 13, 14, 15});
  EXPECT_DOUBLE_EQ(w.difference, 10);
  EXPECT_NEAR(w.df, 8, 1e-12);
  EXPECT_NEAR(w.ci95, student_t95(8) * std::sqrt(2 * 2.5 / 5), 1e-12);
}

TEST(WelchInterval, ConstantSamplesHaveAZeroWidthInterval) {
  const WelchInterval w = welch_interval({3, 3, 3}, {4, 4});
  EXPECT_DOUBLE_EQ(w.difference, 1);
  EXPECT_DOUBLE_EQ(w.ci95, 0);
  EXPECT_DOUBLE_EQ(w.df, 3);
}

TEST(ResultsComparison, ADifferenceWhoseIntervalExcludesZeroIsSignificant) {
  const Json a = summary_of({{"latency_mean", {1, 2, 3}}, {"lost", {0, 0, 0}}, {"published", {100, 100, 100}},
                             {"duplicates", {0, 0, 0}}});
  const Json b = summary_of({{"latency_mean", {2, 4, 6, 8}}, {"lost", {3, 3, 3, 3}}, {"published", {150, 152, 149, 151}},
                             {"duplicates", {0, 0, 0, 0}}});
  const ResultsComparison c = compare_results(a, b);
  ASSERT_EQ(c.rows.size(), 4u);

  const MetricComparison& latency = c.rows[0];
  EXPECT_EQ(latency.key, "latency_mean");
  EXPECT_DOUBLE_EQ(*latency.a.mean, 2);
  EXPECT_DOUBLE_EQ(*latency.b.mean, 5);
  EXPECT_EQ(latency.a.n, 3u);
  EXPECT_EQ(latency.b.n, 4u);
  EXPECT_DOUBLE_EQ(latency.b.ci95, summarize({2, 4, 6, 8}).ci95);
  EXPECT_DOUBLE_EQ(*latency.difference, 3);
  EXPECT_NEAR(*latency.difference_ci95, 2.7764 * std::sqrt(2.0), 1e-9);  // the interval (-0.93, 6.93) holds 0
  EXPECT_FALSE(latency.significant);
  EXPECT_DOUBLE_EQ(*latency.relative, 1.5);

  const MetricComparison& lost = c.rows[1];  // 0 every time against 3 every time: certain
  EXPECT_DOUBLE_EQ(*lost.difference_ci95, 0);
  EXPECT_TRUE(lost.significant);
  EXPECT_FALSE(lost.relative.has_value());  // relative to 0 is undefined

  const MetricComparison& published = c.rows[2];
  EXPECT_TRUE(published.significant);
  EXPECT_NEAR(*published.relative, 0.505, 1e-12);

  const MetricComparison& duplicates = c.rows[3];  // 0 every time on both sides: no difference at all
  EXPECT_DOUBLE_EQ(*duplicates.difference_ci95, 0);
  EXPECT_FALSE(duplicates.significant);
}

TEST(ResultsComparison, OneRepetitionGivesNoIntervalAndSaysSo) {
  const ResultsComparison c = compare_results(summary_of({{"lost", {1, 2, 3}}}), summary_of({{"lost", {9}}}));
  ASSERT_EQ(c.rows.size(), 1u);
  EXPECT_DOUBLE_EQ(*c.rows[0].difference, 7);
  EXPECT_FALSE(c.rows[0].difference_ci95.has_value());
  EXPECT_FALSE(c.rows[0].significant);
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_EQ(c.warnings[0], "the repetitions differ (A 3, B 1)");
  EXPECT_NE(c.warnings[1].find("no confidence intervals"), std::string::npos);
}

TEST(ResultsComparison, AMetricWrittenAsNullCarriesItsReason) {
  const Json a = summary_of({{"wait_mean", {1, 2, 3}}, {"idle_with_backlog", {0.1, 0.2, 0.3}}});
  Json b = summary_of({{"wait_mean", {1, 2, 3}}, {"idle_with_backlog", {0.1, 0.2, 0.3}}});
  b["metrics"]["wait_mean"] = {{"mean", nullptr}, {"ci95", nullptr}, {"reason", "not observable at the broker"}};
  b["metrics"]["idle_with_backlog"] = nullptr;
  for (Json& run : b["runs"]) run["metrics"]["wait_mean"] = nullptr;
  const ResultsComparison c = compare_results(a, b);
  ASSERT_EQ(c.rows.size(), 2u);
  EXPECT_TRUE(c.rows[0].a.mean.has_value());
  EXPECT_FALSE(c.rows[0].b.mean.has_value());
  EXPECT_EQ(c.rows[0].b.reason, "not observable at the broker");
  EXPECT_FALSE(c.rows[0].difference.has_value());
  EXPECT_FALSE(c.rows[0].difference_ci95.has_value());
  EXPECT_FALSE(c.rows[0].relative.has_value());
  EXPECT_FALSE(c.rows[0].significant);
  EXPECT_FALSE(c.rows[1].b.mean.has_value());
  EXPECT_EQ(c.rows[1].b.reason, "not measured (no reason given)");
  EXPECT_TRUE(c.only_in_a.empty());
  EXPECT_TRUE(c.only_in_b.empty());
}

TEST(ResultsComparison, MetricsOneSideLacksAreListed) {
  const Json a = summary_of({{"lost", {0, 0}}, {"events", {10, 11}}});
  const Json b = summary_of({{"publish_latency_mean", {1, 2}}, {"lost", {0, 1}}});
  const ResultsComparison all = compare_results(a, b);
  ASSERT_EQ(all.rows.size(), 1u);
  EXPECT_EQ(all.rows[0].key, "lost");
  EXPECT_EQ(all.only_in_a, std::vector<std::string>{"events"});
  EXPECT_EQ(all.only_in_b, std::vector<std::string>{"publish_latency_mean"});

  const ResultsComparison chosen = compare_results(a, b, {"events", "lost"});
  EXPECT_EQ(chosen.rows.size(), 1u);
  EXPECT_EQ(chosen.only_in_a, std::vector<std::string>{"events"});
  EXPECT_TRUE(chosen.only_in_b.empty());

  EXPECT_THROW(compare_results(a, b, {"latency_mean"}), std::invalid_argument);
  EXPECT_THROW(compare_results(Json::object(), b), std::invalid_argument);
}

TEST(ScenarioDifferences, ModeSpecificKeysAndRepetitionsAreIgnored) {
  const Json a = Json::parse(kScenario);
  Json b = Json::parse(kScenario);
  b["repetitions"] = 1;
  b["live"] = {{"time_scale", 0.1}, {"hosts", "local"}, {"clock_offsets", Json::object()}};
  EXPECT_TRUE(scenario_differences(a, b).empty());
  EXPECT_TRUE(scenario_differences(b, a).empty());
}

TEST(ScenarioDifferences, EveryOtherDifferenceIsNamedWithBothValues) {
  const Json a = Json::parse(kScenario);
  Json b = Json::parse(kScenario);
  b["duration"] = "5m";
  b["seed"] = 6;
  b["producers"][0]["rate"] = "40/s";
  b["queue"]["design"] = "pull";
  b["queue"].erase("visibility_timeout");
  b["faults"].push_back({{"at", "10s"}, {"action", "crash"}});
  const std::vector<ScenarioDifference> d = scenario_differences(a, b);
  const std::vector<std::array<std::string, 3>> expected{
      {"seed", "5", "6"},
      {"duration", "1m", "5m"},
      {"queue.design", "visibility_timeout", "pull"},
      {"queue.visibility_timeout", "2s", "(absent)"},
      {"producers[0].rate", "20/s", "40/s"},
      {"faults[0]", "(absent)", R"({"at":"10s","action":"crash"})"}};
  ASSERT_EQ(d.size(), expected.size());
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ((std::array{d[i].path, d[i].a, d[i].b}), expected[i]);
}

TEST(ScenarioDifferences, ASummaryWithoutAResolvedScenarioDiffersFromOneWithIt) {
  Json a = summary_of({{"lost", {0, 0}}});
  const Json b = summary_of({{"lost", {0, 0}}});
  a.erase("scenario_resolved");
  const ResultsComparison c = compare_results(a, b);
  ASSERT_EQ(c.scenario_differences.size(), 1u);
  EXPECT_EQ(c.scenario_differences[0].path, "scenario_resolved");
  EXPECT_EQ(c.scenario_differences[0].a, "(absent)");
  EXPECT_TRUE(compare_results(b, b).scenario_differences.empty());
}

// Runs at the same seeds (common random numbers) share their noise: the paired interval is the t interval of
// the per-repetition differences, much narrower here than Welch's.
TEST(PairedComparison, SameSeedsGiveTheIntervalOfThePerRepetitionDifferences) {
  const Json a = summary_of({{"makespan", {10, 20, 30}}});
  const Json b = summary_of({{"makespan", {12, 23, 32}}});
  const ResultsComparison paired = compare_results(a, b, {}, Pairing::by_seed);
  ASSERT_EQ(paired.rows.size(), 1u);
  const MetricComparison& row = paired.rows.front();
  EXPECT_TRUE(row.paired);
  EXPECT_NEAR(*row.difference, 7.0 / 3, 1e-12);
  // differences 2, 3, 2: s^2 = 1/3, n = 3 -> t(2) * sqrt(1/3) / sqrt(3) = 4.3027 / 3.
  EXPECT_NEAR(*row.difference_ci95, student_t95(2) / 3, 1e-12);
  EXPECT_NEAR(*row.difference_ci95, 1.4342, 1e-4);
  EXPECT_DOUBLE_EQ(row.welch_df, 2);
  EXPECT_TRUE(row.significant);
  const MetricComparison welch = compare_results(a, b).rows.front();
  EXPECT_FALSE(welch.paired);
  EXPECT_FALSE(welch.significant);  // the shared spread of 10 hides the difference
}

TEST(PairedComparison, DifferentSeedsFallBackToWelchWithAWarning) {
  const Json a = summary_of({{"makespan", {10, 20, 30}}});
  Json b = summary_of({{"makespan", {11, 22, 33}}});
  b["runs"][0]["seed"] = 99;
  const ResultsComparison result = compare_results(a, b, {}, Pairing::by_seed);
  EXPECT_FALSE(result.rows.front().paired);
  EXPECT_EQ(*result.rows.front().difference_ci95, *compare_results(a, b).rows.front().difference_ci95);
  ASSERT_FALSE(result.warnings.empty());
  EXPECT_EQ(result.warnings.front(), "the repetitions' seeds differ: differences are Welch intervals, not paired");
}

}  // namespace
}  // namespace qlab
