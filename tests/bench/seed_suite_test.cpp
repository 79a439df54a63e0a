// The bundled suite loads, and has the shape its figures rely on. (Running it is left to `qlab suite`.)
#include <algorithm>

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "bench/suite.hpp"
#include "queues/design_registry.hpp"

namespace qlab::bench {
namespace {

std::string seed_suite() {
  const char* dir = std::getenv("QLAB_SOURCE_DIR");
  return std::string(dir != nullptr ? dir : QLAB_SOURCE_DIR_FALLBACK) + "/bench/suites/seed.yaml";
}

const SuiteRun& run_named(const Suite& suite, const std::string& name) {
  for (const SuiteRun& run : suite.runs) {
    if (run.name == name) return run;
  }
  throw std::runtime_error("no run " + name);
}

std::set<std::string> designs(const SuiteRun& run) {
  std::set<std::string> out;
  for (const SuitePoint& point : run.points) out.insert(point.design);
  return out;
}

TEST(SeedSuite, LoadsWithAFigureForEveryRun) {
  const Suite suite = load_suite_file(seed_suite());
  EXPECT_EQ(suite.name, "seed");
  for (const SuiteRun& run : suite.runs) {
    EXPECT_TRUE(run.plot.is_object()) << run.name;
    EXPECT_TRUE(run.plot.contains("metrics")) << run.name;
    EXPECT_FALSE(run.claim.empty()) << run.name << ": the report opens each run with its claim";
    // A run that sweeps more than the design plots against that parameter; one that only compares designs
    // is drawn as bars.
    const bool sweeps_more = std::any_of(run.swept_paths.begin(), run.swept_paths.end(),
                                         [](const std::string& path) { return path != "queue" && path != "queue.design"; });
    EXPECT_EQ(run.plot.contains("x"), sweeps_more) << run.name;
  }
  EXPECT_EQ(designs(run_named(suite, "heterogeneity")),
            (std::set<std::string>{"pull", "preassigned/round_robin", "preassigned/random"}));
  EXPECT_EQ(run_named(suite, "heterogeneity").points.size(), 12u);
  EXPECT_EQ(designs(run_named(suite, "load")), (std::set<std::string>{"pull", "preassigned"}));
  EXPECT_EQ(designs(run_named(suite, "replication")),
            (std::set<std::string>{"replicated/replicas=1", "replicated/replicas=3/leader", "replicated/replicas=3/all"}));
  EXPECT_EQ(designs(run_named(suite, "crashes")), (std::set<std::string>{"visibility_timeout", "pull"}));
  EXPECT_EQ(designs(run_named(suite, "backlog-drain")).size(), 3u);
  EXPECT_EQ(run_named(suite, "vt-tradeoff").points.size(), 7u);
  EXPECT_EQ(designs(run_named(suite, "zoo")).size(), qlab::designs().size()) << "the zoo runs every registered design";
  EXPECT_EQ(run_named(suite, "power-of-d").points.size(), 12u);
  EXPECT_EQ(designs(run_named(suite, "burst-step")).size(), 3u);
  EXPECT_EQ(run_named(suite, "autoscale-backlog").points.size(), 10u);
  // The suite is meant to take about a minute on 2 cores at most (the burst and autoscale runs' 130
  // repetitions are short: about a second together).
  EXPECT_LE(suite.task_count(), 650u);
}

TEST(SeedSuite, DesignsOfARunShareTheirSeeds) {
  const Suite suite = load_suite_file(seed_suite());
  for (const SuiteRun& run : suite.runs) {
    for (const SuitePoint& point : run.points) EXPECT_EQ(point.scenario.seed, run.points.front().scenario.seed) << run.name;
  }
}

}  // namespace
}  // namespace qlab::bench
