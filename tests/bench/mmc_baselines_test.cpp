// The speed baselines are the system the simulator runs: the same messages, and with a FIFO design the same
// waits, message for message (their sum is exact). Otherwise FullVsMinimal would compare unlike work.
#include "bench/mmc_baselines.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sim/simulation.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::bench {
namespace {

Scenario mm8(const std::string& design) {
  return workloads::load_scenario_text("name: mm8\nduration: 3000s\nqueue: {design: " + design +
                                           "}\nproducers: [{rate: 7.2/s}]\n"
                                           "consumers: [{count: 8, service: {dist: exponential, mean: 1s}}]\n",
                                       "test");
}

// The simulator's wait histogram sums exactly; its mean is that sum over the count.
double mean_wait(const BaselineRun& run) { return static_cast<double>(run.wait_sum) / static_cast<double>(run.published); }

class BaselinesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(BaselinesTest, MinimalLoopPublishesAndWaitsAsTheSimulator) {
  const Scenario scenario = mm8(GetParam());
  for (std::uint32_t repetition : {0u, 3u}) {
    const BaselineRun minimal = run_minimal_mmc(scenario, repetition);
    const RunResult simulated = sim::simulate(scenario, repetition);
    ASSERT_GT(minimal.published, 20000u);  // about 7.2 x 3000
    EXPECT_EQ(static_cast<double>(minimal.published), simulated.metric("published").value());
    EXPECT_EQ(simulated.wait.count(), minimal.published);
    EXPECT_NEAR(simulated.wait.mean(), mean_wait(minimal), 1e-9 * mean_wait(minimal));
  }
}

TEST_P(BaselinesTest, DesignFloorMakesTheMinimalLoopsChoices) {
  const Scenario scenario = mm8(GetParam());
  for (std::uint32_t repetition : {0u, 3u}) {
    const BaselineRun minimal = run_minimal_mmc(scenario, repetition);
    const BaselineRun floor = run_design_floor(scenario, repetition);
    EXPECT_EQ(floor.published, minimal.published);
    EXPECT_EQ(floor.wait_sum, minimal.wait_sum);
  }
}

INSTANTIATE_TEST_SUITE_P(FifoDesigns, BaselinesTest, ::testing::Values("pull", "visibility_timeout"));

TEST(Baselines, OtherRepetitionsDrawOtherSchedules) {
  const Scenario scenario = mm8("pull");
  EXPECT_NE(run_minimal_mmc(scenario, 0).wait_sum, run_minimal_mmc(scenario, 1).wait_sum);
}

}  // namespace
}  // namespace qlab::bench
