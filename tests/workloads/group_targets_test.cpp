// Issue 12 (metrics per group): fault targets `all consumers` and `all producers`, and `--set` with a group's
// name in place of its index (`consumers[fast].count=8`).
#include <gtest/gtest.h>

#include "core/fault_plan.hpp"
#include "load_helpers.hpp"

namespace qlab::workloads {
namespace {

using testing::error_of;
using testing::load;

const std::string kTwoGroups =
    "name: g\nduration: 100s\nproducers:\n  - name: in\n    count: 2\n    rate: 1/s\n  - rate: 1/s\n"
    "consumers:\n  - name: fast\n    count: 3\n    service: 1s\n  - name: slow\n    count: 2\n    service: 1s\n";

TEST(GroupNameOverride, PicksTheGroupByItsName) {
  const Scenario s = load(kTwoGroups, {"consumers[slow].count=8", "consumers[fast].service=2s"});
  EXPECT_EQ(s.consumers[1].count, 8u);
  EXPECT_EQ(s.consumers[0].count, 3u);
  EXPECT_EQ(s.consumers[0].service.mean(), 2e9);
}

TEST(GroupNameOverride, AnUnnamedGroupAnswersToItsDefaultName) {
  EXPECT_EQ(load(kTwoGroups, {"producers[producers2].count=5"}).producers[1].count, 5u);
}

TEST(GroupNameOverride, AnUnknownNameIsRefusedWithTheNamesThereAre) {
  EXPECT_EQ(error_of(kTwoGroups, {"consumers[fats].count=8"}),
            "--set consumers[fats].count=8: consumers[fats]: no entry of consumers is named 'fats' (did you mean 'fast'? "
            "expected an index or one of fast, slow)");
  EXPECT_EQ(error_of(kTwoGroups, {"queue[fast].design=pull"}),
            "--set queue[fast].design=pull: queue[fast]: queue is not a list in the file (expected an index)");
}

TEST(GroupNameOverride, ErrorsInTheValueNameTheOverrideAsWritten) {
  EXPECT_EQ(error_of(kTwoGroups, {"consumers[slow].count=0"}).substr(0, 31), "--set consumers[slow].count=0: ");
}

TEST(AllTargets, AllConsumersAndAllProducersAreAccepted) {
  const Scenario s = load(kTwoGroups +
                          "faults:\n  - {at: 10s, action: crash, target: all consumers, restart_after: 5s}\n"
                          "  - {at: 20s, action: producer_crash, target: all producers, restart_after: 5s}\n"
                          "  - {at: 30s, action: partition, target: all producers, duration: 5s}\n");
  ASSERT_EQ(s.faults.size(), 3u);
  EXPECT_EQ(s.faults[0].target.kind, FaultTarget::Kind::all);
  EXPECT_FALSE(s.faults[0].target.producers);
  EXPECT_EQ(s.faults[1].target.kind, FaultTarget::Kind::all);
  EXPECT_TRUE(s.faults[1].target.producers);
  EXPECT_TRUE(s.faults[2].target.producers);
}

TEST(AllTargets, AnActionOnTheOtherSideIsRefused) {
  EXPECT_EQ(error_of(kTwoGroups + "faults:\n  - {at: 10s, action: stall, target: all producers, duration: 5s}\n"),
            "s.yaml:16:38: faults[0].target: this action does not target producers (expected a consumer group, GROUP[i], "
            "GROUP[i..j], any consumer or all consumers)");
}

TEST(AllTargets, TheFaultPlanHitsEveryMemberOfEveryGroup) {
  const Scenario s = load(kTwoGroups +
                          "faults:\n  - {at: 10s, action: crash, target: all consumers, restart_after: 5s}\n"
                          "  - {at: 20s, action: producer_crash, target: all producers}\n");
  FaultPlan plan(s, 1);
  const auto crash = plan.next();
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->members, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  std::optional<FaultOccurrence> producers;
  while ((producers = plan.next()) && producers->fault != 1) {
  }
  ASSERT_TRUE(producers.has_value());
  EXPECT_EQ(producers->members, (std::vector<std::uint32_t>{0, 1, 2}));
}

}  // namespace
}  // namespace qlab::workloads
