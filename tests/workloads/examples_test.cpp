// Every example in workloads/examples loads, says what the brief promised, and round-trips through JSON.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::workloads {
namespace {

std::string example(const std::string& name) {
  const char* dir = std::getenv("QLAB_SOURCE_DIR");
  return std::string(dir != nullptr ? dir : QLAB_SOURCE_DIR_FALLBACK) + "/workloads/examples/" + name;
}

std::vector<std::string> all_examples() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(example("")))) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Examples, EveryExampleLoadsAndRoundTrips) {
  const auto files = all_examples();
  EXPECT_GE(files.size(), 5u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    const auto first = scenario_to_json(load_scenario_file(file));
    const auto second = scenario_to_json(load_scenario_text(first.dump(2), file + ".json"));
    EXPECT_EQ(first.dump(), second.dump());
  }
}

TEST(Examples, Mm8IsMMcAtRhoNinetyPercent) {
  const Scenario s = load_scenario_file(example("mm8.yaml"));
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.repetitions, 5u);
  EXPECT_EQ(s.duration, 20000 * kSecond);
  EXPECT_EQ(s.warmup, 1000 * kSecond);
  EXPECT_EQ(s.queue.design, "pull");
  const double rho = s.producers[0].rate * to_seconds(static_cast<Time>(s.consumers[0].service.mean())) / s.consumers[0].count;
  EXPECT_NEAR(rho, 0.9, 1e-12);
  EXPECT_EQ(s.consumers[0].service.kind(), Distribution::Kind::exponential);
}

TEST(Examples, Mm1AndMd1DifferOnlyInService) {
  const Scenario mm1 = load_scenario_file(example("mm1.yaml"));
  const Scenario md1 = load_scenario_file(example("md1.yaml"));
  EXPECT_DOUBLE_EQ(mm1.producers[0].rate, 0.8);
  EXPECT_EQ(mm1.duration, 50000 * kSecond);
  EXPECT_EQ(mm1.warmup, 2000 * kSecond);
  EXPECT_EQ(mm1.repetitions, 5u);
  EXPECT_EQ(mm1.consumers[0].service.kind(), Distribution::Kind::exponential);
  EXPECT_DOUBLE_EQ(md1.producers[0].rate, 0.8);
  EXPECT_TRUE(md1.consumers[0].service.is_constant());
  EXPECT_EQ(md1.consumers[0].service.mean(), static_cast<double>(kSecond));
}

TEST(Examples, HeteroComparesWithPreassigned) {
  const Scenario s = load_scenario_file(example("hetero.yaml"), {parse_override("queue.design=preassigned")});
  EXPECT_EQ(s.queue.design, "preassigned");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.producers[0].arrival, Arrival::batch);
  EXPECT_EQ(s.producers[0].messages, 16000u);
  ASSERT_EQ(s.consumers.size(), 2u);
  EXPECT_EQ(s.consumers[0].name, "fast");
  EXPECT_EQ(s.consumers[1].name, "slow");
  EXPECT_EQ(s.consumers[1].service.mean(), static_cast<double>(400 * kMillisecond));
}

TEST(Examples, CrashesComparesWithPull) {
  const Scenario s = load_scenario_file(example("crashes.yaml"));
  EXPECT_EQ(s.queue.design, "visibility_timeout");
  EXPECT_EQ(std::get<std::int64_t>(s.queue.params.at("visibility_timeout")), 5 * kSecond);
  EXPECT_EQ(s.consumers[0].prefetch, 4u);
  ASSERT_EQ(s.faults.size(), 1u);
  EXPECT_EQ(s.faults[0].target.kind, FaultTarget::Kind::any_consumer);
  EXPECT_EQ(s.faults[0].until, 550 * kSecond);
  EXPECT_EQ(s.faults[0].restart_after, 10 * kSecond);
  EXPECT_EQ(load_scenario_file(example("crashes.yaml"), {parse_override("queue.design=pull")}).queue.design, "pull");
}

}  // namespace
}  // namespace qlab::workloads
