// Loading and validating suite files: expansion into points, and one test per class of bad input with the
// exact place (suite file:line:column) and message.
#include "bench/suite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "bench/suite_plot.hpp"
#include "sim/simulation.hpp"
#include "suite_files.hpp"

namespace qlab::bench {
namespace {

using SuiteLoading = testing::SuiteFiles;
using testing::kTinySuite;

std::string params_of(const SuitePoint& point) {
  std::string text;
  for (const Param& p : point.params) text += (text.empty() ? "" : " ") + p.path + "=" + p.value;
  return text;
}

TEST_F(SuiteLoading, ExpandsEveryRunIntoPointsInSweepOrder) {
  const Suite suite = load(kTinySuite);
  EXPECT_EQ(suite.name, "tiny-suite");
  ASSERT_EQ(suite.runs.size(), 2u);
  const SuiteRun& tiny = suite.runs[0];
  EXPECT_EQ(tiny.name, "tiny");  // the scenario file's stem
  ASSERT_EQ(tiny.points.size(), 4u);
  EXPECT_EQ(params_of(tiny.points[0]), "queue.design=pull consumers[1].service.mean=20ms");
  EXPECT_EQ(params_of(tiny.points[1]), "queue.design=pull consumers[1].service.mean=40ms");
  EXPECT_EQ(params_of(tiny.points[3]), "queue.design=preassigned consumers[1].service.mean=40ms");
  EXPECT_EQ(tiny.points[3].design, "preassigned");
  EXPECT_EQ(tiny.points[3].id, "003");
  EXPECT_EQ(tiny.points[3].folder(), "runs/tiny/" + hash_text(tiny.points[3].scenario_hash));  // keyed by content
  EXPECT_EQ(hash_text(tiny.points[3].scenario_hash).size(), 16u);
  EXPECT_EQ(tiny.points[3].scenario.consumers[1].service.mean(), 40e6);
  EXPECT_EQ(tiny.plot.dump(), R"({"x":"consumers[1].service.mean","metrics":["makespan"]})");

  const SuiteRun& zipped = suite.runs[1];
  ASSERT_EQ(zipped.points.size(), 2u);
  EXPECT_EQ(params_of(zipped.points[1]), "consumers[0].count=3 consumers[1].count=2 consumers[1].service.mean=60ms");
  EXPECT_EQ(zipped.points[1].scenario.consumers[0].count, 3u);
  EXPECT_EQ(suite.param_columns(),
            (std::vector<std::string>{"consumers[1].service.mean", "consumers[0].count", "consumers[1].count"}));
  EXPECT_EQ(suite.point_count(), 6u);
  EXPECT_EQ(suite.task_count(), 18u);  // the suite's repetitions: 3
}

TEST_F(SuiteLoading, EveryPointOfASuiteUsesTheSameSeedSoDesignsArePaired) {
  Suite suite = load(kTinySuite);
  for (const SuiteRun& run : suite.runs) {
    for (const SuitePoint& point : run.points) EXPECT_EQ(point.scenario.seed, 5u);  // the scenario's
  }
  suite = load("name: s\nseed: 99\nruns:\n  - scenario: tiny.yaml\n    sweep: {queue.design: [pull, preassigned]}\n");
  EXPECT_EQ(suite.runs[0].points[0].scenario.seed, 99u);
  EXPECT_EQ(suite.runs[0].points[1].scenario.seed, 99u);
  EXPECT_NE(suite.runs[0].points[0].scenario_hash, suite.runs[0].points[1].scenario_hash);
}

TEST_F(SuiteLoading, RunRepetitionsOverrideTheSuiteDefault) {
  const Suite suite = load("name: s\nrepetitions: 4\nruns:\n  - scenario: tiny.yaml\n    repetitions: 2\n  - name: other\n    scenario: tiny.yaml\n");
  EXPECT_EQ(suite.runs[0].points[0].scenario.repetitions, 2u);
  EXPECT_EQ(suite.runs[1].points[0].scenario.repetitions, 4u);
}

TEST_F(SuiteLoading, SweepingTheQueueMapNamesDesignVariants) {
  const Suite suite = load(
      "name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue:\n        - {design: pull}\n"
      "        - {design: preassigned, assignment: random}\n        - {design: preassigned, assignment: round_robin}\n"
      "        - {design: visibility_timeout, visibility_timeout: 2s}\n");
  EXPECT_EQ(suite.runs[0].points[0].design, "pull");
  EXPECT_EQ(suite.runs[0].points[1].design, "preassigned/random");
  EXPECT_EQ(suite.runs[0].points[2].design, "preassigned/round_robin");
  EXPECT_EQ(suite.runs[0].points[3].design, "visibility_timeout");  // one variant only: the plain name
  EXPECT_EQ(suite.runs[0].points[1].params[0].value, "{design: preassigned, assignment: random}");
}

TEST_F(SuiteLoading, FilterKeepsRunsBySubstringOrGlob) {
  Suite suite = load(kTinySuite);
  EXPECT_EQ(filter_runs(suite, "zip"), 1u);
  EXPECT_EQ(suite.runs[0].name, "zipped");
  suite = load(kTinySuite);
  EXPECT_EQ(filter_runs(suite, "t*y"), 1u);
  EXPECT_EQ(suite.runs[0].name, "tiny");
  EXPECT_EQ(filter_runs(suite, "nothing"), 0u);
}

TEST_F(SuiteLoading, UnknownKeysAreRejectedWithAHint) {
  EXPECT_EQ(error_of("name: s\nrun:\n  - scenario: tiny.yaml\n"),
            "s.yaml:2:1: run: unknown key in the suite (did you mean 'runs'? expected one of name, description, "
            "repetitions, seed, runs)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweeps: {queue.design: [pull]}\n"),
            "s.yaml:4:5: runs[0].sweeps: unknown key in a run (did you mean 'sweep'? expected one of name, scenario, "
            "repetitions, set, sweep, zip, plot, claim)");
}

TEST_F(SuiteLoading, MissingPiecesAreNamed) {
  EXPECT_EQ(error_of("name: s\n"), "s.yaml:1:1: runs: missing required key (expected a list of runs, each with a scenario)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - name: x\n"),
            "s.yaml:3:5: runs[0].scenario: missing required key (expected a scenario file, relative to the suite file)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: nothere.yaml\n"),
            "s.yaml:3:15: runs[0].scenario: no such file: nothere.yaml (expected a scenario file, relative to the suite file)");
}

TEST_F(SuiteLoading, SweepListsMustBeNonEmptyAndZipListsOfOneLength) {
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue.design: []\n"),
            "s.yaml:5:21: runs[0].sweep.queue.design: empty list (expected at least one value)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue.design: pull\n"),
            "s.yaml:5:21: runs[0].sweep.queue.design: got 'pull' (expected a list of values, e.g. [1s, 2s, 4s])");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    zip:\n      consumers[0].count: [1, 2]\n"
                     "      consumers[1].count: [1, 2, 3]\n"),
            "s.yaml:6:27: runs[0].zip.consumers[1].count: 3 values, but runs[0].zip.consumers[0].count has 2 "
            "(expected lists of equal length in a zip)");
}

TEST_F(SuiteLoading, APathTheScenarioDoesNotHaveIsRejectedBeforeAnythingRuns) {
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      queue.design: [pull]\n"
                     "      queue.visiblity: [1s, 2s]\n"),
            "s.yaml:6:7: runs[0].sweep.queue.visiblity: value 1s is rejected by tiny.yaml: queue.visiblity: unknown key in "
            "queue (design pull) (expected one of design, max_length, max_bytes, overflow, ttl, discarded)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      consumers[2].count: [1, 2]\n"),
            "s.yaml:5:7: runs[0].sweep.consumers[2].count: value 1 is rejected by tiny.yaml: consumers[2]: index 2 is out "
            "of range: consumers has 2 entries (expected an index below 2)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    set:\n      consumers[0].count: 0\n"),
            "s.yaml:5:7: runs[0].set.consumers[0].count: value 0 is rejected by tiny.yaml: consumers[0].count: '0' is out "
            "of range (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      consumers..count: [1]\n"),
            "s.yaml:5:7: runs[0].sweep.consumers..count: not a scenario path: unexpected '.' (expected a path such as "
            "queue.design or consumers[0].service.mean)");
}

TEST_F(SuiteLoading, ALiveOnlyRateIsRejectedBeforeAnythingRuns) {
  const std::string error = error_of(
      "name: s\nruns:\n  - scenario: tiny.yaml\n    set:\n      producers[0].arrival: poisson\n      producers[0].rate: max\n");
  EXPECT_TRUE(error.starts_with("s.yaml:")) << error;
  EXPECT_NE(error.find("rate: max is live-only"), std::string::npos) << error;
}

TEST_F(SuiteLoading, RunNamesAreUnique) {
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n  - scenario: tiny.yaml\n"),
            "s.yaml:4:15: runs[1].scenario: duplicate run name 'tiny', first used by runs[0] (expected unique run names; "
            "add name: to tell runs of one scenario apart)");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    set: {seed: 1}\n    sweep: {seed: [1]}\n"),
            "s.yaml:5:13: runs[0].sweep.seed: scenario path seed is given twice in this run (expected each path once "
            "across set, sweep and zip)");
}

TEST_F(SuiteLoading, PointsOfARunThatResolveToOneScenarioAreRejected) {
  // Their folder is named by the scenario's hash: they would share it. 40ms and 0.04s are one duration.
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    sweep:\n      consumers[1].service.mean: [20ms, 40ms, 0.04s]\n"),
            "s.yaml:3:5: runs[0]: points 001 (consumers[1].service.mean=40ms) and 002 (consumers[1].service.mean=0.04s) "
            "resolve to the same scenario (expected sweep values that change the scenario)");
  // Across runs one scenario is fine: each run has its own folder.
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n  - name: again\n    scenario: tiny.yaml\n"), "(accepted)");
}

TEST_F(SuiteLoading, PlotMustBeAMap) {
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    plot: [makespan]\n"),
            "s.yaml:4:11: runs[0].plot: got a list (expected a map describing the figure, e.g. {x: PATH, metrics: [makespan]})");
}

TEST_F(SuiteLoading, PlotKeysAreCheckedAgainstTheRunsSweepAndTheMetricKeys) {
  const std::string run = "name: s\nruns:\n  - scenario: tiny.yaml\n    sweep: {'consumers[1].service.mean': [20ms, 40ms]}\n";
  EXPECT_EQ(error_of(run + "    plot: {x: 'consumers[0].service.mean'}\n"),
            "s.yaml:5:15: runs[0].plot.x: x 'consumers[0].service.mean' is not swept in this run (did you mean "
            "'consumers[1].service.mean'? expected one of consumers[1].service.mean)");
  EXPECT_THAT(error_of(run + "    plot: {metrics: [makespan, latncy_p99]}\n"),
              ::testing::StartsWith("s.yaml:5:32: runs[0].plot.metrics[1]: unknown metric 'latncy_p99' (did you mean "
                                    "'latency_p99'? expected one of published, deliveries,"));
  EXPECT_THAT(error_of(run + "    plot: {metric: [makespan]}\n"),
              ::testing::StartsWith("s.yaml:5:12: runs[0].plot.metric: unknown key in a plot map (did you mean 'metrics'?"));
  EXPECT_EQ(error_of(run + "    plot: {at: {'consumers[2].count': 3}}\n"),
            "s.yaml:5:17: runs[0].plot.at.consumers[2].count: at 'consumers[2].count' is not swept in this run "
            "(expected one of consumers[1].service.mean)");
  EXPECT_EQ(error_of(run + "    plot: {at: {'consumers[1].service.mean': 30ms}}\n"),
            "s.yaml:5:46: runs[0].plot.at.consumers[1].service.mean: unknown value of consumers[1].service.mean '30ms' "
            "(did you mean '20ms'? expected one of 20ms, 40ms)");
  EXPECT_EQ(error_of(run + "    plot: {drain_time: in_flight}\n"),
            "s.yaml:5:24: runs[0].plot.drain_time: unknown drain-time column 'in_flight' (expected one of backlog)");
  EXPECT_EQ(error_of(run + "    plot: {timeseries: backlog}\n"),
            "s.yaml:5:24: runs[0].plot.timeseries: got 'backlog' (expected a list of time-series columns, e.g. [backlog])");
  EXPECT_EQ(error_of("name: s\nruns:\n  - scenario: tiny.yaml\n    plot: {x: 'consumers[1].service.mean'}\n"),
            "s.yaml:4:15: runs[0].plot.x: x 'consumers[1].service.mean' but this run sweeps nothing (expected a sweep "
            "or zip in the run)");
  // Valid: flags typed, the claim kept.
  const Suite suite = load(run + "    claim: pull wins\n    plot: {x: 'consumers[1].service.mean', log_y: yes, "
                                 "timeseries: [backlog], drain_time: backlog}\n");
  EXPECT_EQ(suite.runs[0].plot.dump(),
            R"({"x":"consumers[1].service.mean","log_y":true,"timeseries":["backlog"],"drain_time":"backlog"})");
  EXPECT_EQ(suite.runs[0].claim, "pull wins");
}

TEST_F(SuiteLoading, EveryMetricARunWritesIsAKnownPlotMetric) {
  const Suite suite = load("name: s\nruns:\n  - scenario: tiny.yaml\n");
  const RunResult result = sim::simulate(suite.runs[0].points[0].scenario, 0);
  const std::vector<std::string>& known = known_metric_keys();
  ASSERT_FALSE(result.metrics.empty());
  for (const Metric& metric : result.metrics) {
    EXPECT_NE(std::find(known.begin(), known.end(), metric.key), known.end()) << metric.key;
  }
}

}  // namespace
}  // namespace qlab::bench
