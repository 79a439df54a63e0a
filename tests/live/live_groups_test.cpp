// Per-group figures of a live run: producer groups come from the records files' names, consumer groups from
// the run's facts.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "live/live_results.hpp"
#include "metrics/group_figures.hpp"

namespace qlab::live {
namespace {

double group_value(const std::vector<GroupFigures>& groups, const std::string& name, const std::string& key) {
  const std::optional<double> value = qlab::group_metric(groups, name, key);
  EXPECT_TRUE(value.has_value()) << "no " << key << " for group " << name;
  return value.value_or(-1);
}

TEST(LiveGroups, ProducerGroupsComeFromTheRecordsFileNames) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("qlab-live-groups-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Time t0 = 1000 * kSecond;
  // fast[0] publishes message 1 at 1 s; slow[0], after a restart (its .1 file) and on host h2, message 2 at 2 s.
  std::ofstream(dir / "producer-fast[0].csv") << "S,0," << t0 + kSecond << "," << t0 + kSecond << "\nA,0,1," << t0 + kSecond << ",0\n";
  std::ofstream(dir / "h2.producer-slow[0].1.csv") << "S,0," << t0 + 2 * kSecond << "," << t0 + 2 * kSecond << "\nA,0,2,"
                                                   << t0 + 2 * kSecond << ",0\n";
  LiveRecords records;
  read_producer_records((dir / "producer-fast[0].csv").string(), records);
  read_producer_records((dir / "h2.producer-slow[0].1.csv").string(), records);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(records.producer_groups, (std::vector<std::string>{"fast", "slow"}));
  // Consumer a[0] processes message 1 in 1 s, consumer b[0] message 2 in 3 s; a[0] crashed once.
  records.deliveries.push_back({0, 1, 1, t0 + kSecond, t0 + kSecond});
  records.completions.push_back({0, 1, t0 + kSecond, t0 + 2 * kSecond});
  records.deliveries.push_back({1, 2, 1, t0 + 2 * kSecond, t0 + 2 * kSecond});
  records.completions.push_back({1, 2, t0 + 2 * kSecond, t0 + 5 * kSecond});
  LiveRunFacts facts;
  facts.start = t0;
  facts.end = t0 + 10 * kSecond;
  facts.consumers = {{"a[0]", "a", {{t0, facts.end}}}, {"b[0]", "b", {{t0, facts.end}}}};
  facts.faults = {{"crash", "a[0]", 3 * kSecond, 4 * kSecond}};
  const RunResult r = build_live_result(records, facts, 0, 1);
  EXPECT_DOUBLE_EQ(group_value(r.producer_groups, "fast", "latency_max"), 1.0);
  EXPECT_DOUBLE_EQ(group_value(r.producer_groups, "slow", "latency_max"), 3.0);
  EXPECT_DOUBLE_EQ(group_value(r.producer_groups, "slow", "published"), 1);
  EXPECT_DOUBLE_EQ(group_value(r.producer_groups, "fast", "throughput"), 0.1);  // 1 in 10 s
  EXPECT_DOUBLE_EQ(group_value(r.consumer_groups, "a", "processed"), 1);
  EXPECT_DOUBLE_EQ(group_value(r.consumer_groups, "b", "utilization"), 0.3);
  EXPECT_DOUBLE_EQ(group_value(r.consumer_groups, "a", "crashes"), 1);
  EXPECT_DOUBLE_EQ(group_value(r.consumer_groups, "b", "crashes"), 0);
}

}  // namespace
}  // namespace qlab::live
