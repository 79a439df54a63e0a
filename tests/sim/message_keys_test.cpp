// Message keys route messages in designs that partition by key: with a single key every message lands in
// one partition (so one consumer processes them all); with many keys the work spreads; a trace's key
// column overrides the key distribution.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::scenario_from;

std::string keyed(const std::string& keys) {
  return "name: keys\nseed: 9\nduration: 200s\nqueue: {design: partitioned, partitions: 8}\nproducers:\n"
         "  - rate: 10/s\n    keys: " + keys + "\nconsumers:\n  - count: 4\n    service: {dist: exponential, mean: 50ms}\n";
}

std::size_t consumers_with_work(const RunResult& run) {
  return static_cast<std::size_t>(std::count_if(run.consumers.begin(), run.consumers.end(),
                                                [](const ConsumerFigures& c) { return c.processed > 0; }));
}

TEST(MessageKeys, OneKeyMeansOnePartition) {
  const RunResult run = run_repetitions(scenario_from(keyed("{dist: uniform, count: 1}")))[0];
  EXPECT_EQ(consumers_with_work(run), 1u);
  EXPECT_EQ(run.metric("processed"), run.metric("published"));
}

TEST(MessageKeys, ManyKeysSpreadOverEveryConsumer) {
  const RunResult run = run_repetitions(scenario_from(keyed("{dist: zipf, count: 1000, s: 0.5}")))[0];
  EXPECT_EQ(consumers_with_work(run), 4u);
}

TEST(MessageKeys, ATraceKeyColumnRoutesToo) {
  const auto dir = std::filesystem::temp_directory_path() / ("qlab-keys-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.csv") << "time,key\n0.1,5\n0.2,5\n0.3,5\n0.4,5\n0.5,5\n";
  const std::string yaml =
      "name: keys\nqueue: {design: partitioned, partitions: 8}\nproducers:\n  - arrival: trace\n    trace: t.csv\n"
      "    keys: {dist: uniform, count: 1000}\nconsumers:\n  - count: 4\n    service: 10ms\n";
  const RunResult run = run_repetitions(workloads::load_scenario_text(yaml, (dir / "s.yaml").string()))[0];
  std::filesystem::remove_all(dir);
  EXPECT_EQ(run.metric("published"), 5);
  EXPECT_EQ(consumers_with_work(run), 1u);
}

}  // namespace
}  // namespace qlab::sim
