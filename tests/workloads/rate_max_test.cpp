// `rate: max` (the live rate finder): accepted on a poisson or constant producer group, written back as
// `max`, refused with a plain message anywhere else.
#include <gtest/gtest.h>

#include "load_helpers.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::workloads {
namespace {

using testing::error_of;
using testing::load;

const std::string kRateMax =
    "name: t\n"
    "duration: 10s\n"
    "producers:\n"
    "  - name: web\n"
    "    rate: max\n"
    "  - name: steady\n"
    "    arrival: constant\n"
    "    rate: 5/s\n"
    "consumers:\n"
    "  - service: 1ms\n";

TEST(RateMax, IsAcceptedOnAPoissonOrConstantGroupAndWrittenBackAsMax) {
  const Scenario s = load(kRateMax);
  EXPECT_TRUE(s.producers[0].rate_max);
  EXPECT_FALSE(s.producers[1].rate_max);
  EXPECT_EQ(s.producers[1].rate, 5);
  const auto json = scenario_to_json(s);
  EXPECT_EQ(json["producers"][0]["rate"], "max");
  EXPECT_EQ(json["producers"][1]["rate"], "5/s");
  const Scenario again = load_scenario_text(json.dump(), "resolved.json");
  EXPECT_TRUE(again.producers[0].rate_max);
  EXPECT_TRUE(load(kRateMax, {"producers[1].rate=max"}).producers[1].rate_max);
}

TEST(RateMax, AnOverrideWithARateReplacesIt) {
  const Scenario s = load(kRateMax, {"producers[0].rate=250/s"});
  EXPECT_FALSE(s.producers[0].rate_max);
  EXPECT_EQ(s.producers[0].rate, 250);
}

TEST(RateMax, IsRefusedOnABatchGroup) {
  EXPECT_EQ(error_of("name: t\nproducers:\n  - arrival: batch\n    messages: 5\n    rate: max\nconsumers:\n  - service: 1s\n"),
            "s.yaml:5:11: producers[0].rate: rate: max (the live rate finder) needs poisson or constant arrival "
            "(expected arrival: poisson or constant, or a batch without rate)");
}

TEST(RateMax, IsRefusedAnywhereElseWithAPlainMessage) {
  const std::string only = "'max' is accepted only as a producer group's rate (the live rate finder)";
  EXPECT_EQ(error_of(kRateMax, {"producers[0].messages=max"}),
            "--set producers[0].messages=max: producers[0].messages: " + only + " (expected a value for messages)");
  EXPECT_EQ(error_of(kRateMax, {"consumers[0].service=max"}),
            "--set consumers[0].service=max: consumers[0].service: " + only + " (expected a value for service)");
  EXPECT_EQ(error_of(kRateMax, {"duration=max"}), "--set duration=max: duration: " + only + " (expected a value for duration)");
  EXPECT_EQ(error_of(kRateMax, {"consumers[0].count=max"}),
            "--set consumers[0].count=max: consumers[0].count: " + only + " (expected a value for count)");
}

}  // namespace
}  // namespace qlab::workloads
