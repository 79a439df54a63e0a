// The scenario keys of time-varying load, traces, keys and autoscaling: what they load into, where their
// errors point, and that the resolved JSON loads back to the same scenario.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "load_helpers.hpp"
#include "workloads/memory_estimate.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::workloads {
namespace {

using testing::error_of;
using testing::load;

std::string with_rate(const std::string& rate) {
  return "name: t\nduration: 100s\nproducers:\n  - rate: " + rate + "\nconsumers:\n  - service: 1s\n";
}

TEST(LoadShapeLoader, RateSchedulesLoad) {
  const Scenario steps = load(with_rate("{steps: [{at: 0s, rate: 10/s}, {at: 60s, rate: 0/s}]}"));
  ASSERT_TRUE(steps.producers[0].schedule);
  EXPECT_EQ(steps.producers[0].schedule->kind, RateSchedule::Kind::steps);
  EXPECT_EQ(steps.producers[0].schedule->points[1].at, 60 * kSecond);
  EXPECT_EQ(steps.producers[0].rate, 10);  // the peak
  const Scenario burst = load(with_rate("{on: 5s, off: 25s, rate: 100/s}"));
  EXPECT_EQ(burst.producers[0].schedule->period, 30 * kSecond);
  EXPECT_EQ(burst.producers[0].schedule->low, 0);
  const Scenario sine = load(with_rate("{mean: 50/s, amplitude: 40/s, period: 24h}"));
  EXPECT_EQ(sine.producers[0].rate, 90);
  EXPECT_EQ(load(with_rate("{ramp: [{at: 0s, rate: 1/s}, {at: 10s, rate: 5/s}]}")).producers[0].schedule->kind,
            RateSchedule::Kind::ramp);
}

TEST(LoadShapeLoader, BadSchedulesArePlaced) {
  EXPECT_EQ(error_of(with_rate("{steps: [{at: 5s, rate: 10/s}]}")),
            "s.yaml:4:25: producers[0].rate.steps[0].at: the first point is at 5s (expected the first point at 0s)");
  EXPECT_EQ(error_of(with_rate("{steps: [{at: 0s, rate: 1/s}, {at: 0s, rate: 2/s}]}")),
            "s.yaml:4:46: producers[0].rate.steps[1].at: '0s' is not after the previous point (expected a list of "
            "{at: DURATION, rate: RATE}, the first at 0s, times increasing)");
  EXPECT_EQ(error_of(with_rate("{mean: 10/s, amplitude: 20/s, period: 1h}")),
            "s.yaml:4:35: producers[0].rate.amplitude: the amplitude exceeds the mean (the rate would go negative) "
            "(expected amplitude <= mean)");
  EXPECT_EQ(error_of(with_rate("{steps: [{at: 0s, rate: 0/s}]}")),
            "s.yaml:4:11: producers[0].rate: the rate is 0 throughout (expected a schedule with some rate > 0)");
  EXPECT_EQ(error_of(with_rate("{on: 5s, rate: 1/s}")),
            "s.yaml:4:11: producers[0].rate.off: missing required key (expected off: the time between bursts, e.g. 25s)");
  EXPECT_EQ(error_of(with_rate("{speed: 5}")),
            "s.yaml:4:11: producers[0].rate: not a rate schedule (expected {steps: [...]}, {ramp: [...]}, {on, off, rate} "
            "or {mean, amplitude, period})");
}

TEST(LoadShapeLoader, KeysLoadAndAreChecked) {
  const Scenario s = load("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\n    keys: {dist: zipf, count: 100, s: 1.2}\n"
                          "consumers:\n  - service: 1s\n");
  ASSERT_TRUE(s.producers[0].keys);
  EXPECT_EQ(s.producers[0].keys->count(), 100u);
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\n    keys: {dist: zipf, count: 100}\n"
                     "consumers:\n  - service: 1s\n"),
            "s.yaml:5:11: producers[0].keys.s: missing required key (expected s: the Zipf exponent, e.g. 1.1)");
}

class TraceFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("qlab-trace-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / "s.yaml").string();
  }
  std::string scenario(const std::string& trace) {
    return "name: t\nduration: 20s\nproducers:\n  - arrival: trace\n    trace: " + trace + "\nconsumers:\n  - service: 1s\n";
  }
  std::filesystem::path dir_;
};

TEST_F(TraceFiles, ATraceIsReadRelativeToTheScenario) {
  const std::string file = write("a.csv", "time,size,key\n0,100,7\n0.5,1KiB,8\n2s,10,7\n");
  const Scenario s = load_scenario_text(scenario("{file: a.csv, loop: true, time_scale: 2}"), file);
  const ArrivalTrace& t = *s.producers[0].trace;
  EXPECT_EQ(t.times, (std::vector<Time>{0, 500 * kMillisecond, 2 * kSecond}));
  EXPECT_EQ(t.sizes, (std::vector<std::uint32_t>{100, 1024, 10}));
  EXPECT_EQ(t.keys, (std::vector<std::uint64_t>{7, 8, 7}));
  EXPECT_EQ(t.period, 3 * kSecond);  // the last time plus the mean gap
  EXPECT_TRUE(t.loop);
  EXPECT_EQ(t.time_scale, 2);
  // Resolved and loaded again (from the same folder), the trace is the same.
  const Scenario again = load_scenario_text(scenario_to_json(s).dump(), file);
  EXPECT_EQ(again.producers[0].trace->times, t.times);
  EXPECT_EQ(scenario_to_json(again), scenario_to_json(s));
}

TEST_F(TraceFiles, TheMemoryEstimateCountsATracesRows) {
  const std::string file = write("m.csv", "time\n0\n1\n2\n3\n");
  const std::string once = "name: t\nproducers:\n  - count: 10\n    arrival: trace\n    trace: m.csv\nconsumers:\n  - service: 1ms\n";
  EXPECT_EQ(estimate_memory(load_scenario_text(once, file), 1).messages, 40);
  // Looped for 30s: 4 rows every 4s (the last time plus the mean gap), 30 per producer.
  const std::string looped = "name: t\nduration: 30s\nproducers:\n  - count: 10\n    arrival: trace\n"
                             "    trace: {file: m.csv, loop: true}\nconsumers:\n  - service: 1ms\n";
  EXPECT_DOUBLE_EQ(estimate_memory(load_scenario_text(looped, file), 1).messages, 300);
}

TEST_F(TraceFiles, BadTracesNameTheFileAndRow) {
  const std::string file = write("b.csv", "time\n1\n0.5\n");
  try {
    load_scenario_text(scenario("b.csv"), file);
    FAIL() << "accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()), file + ":5:12: producers[0].trace: b.csv:3: time '0.5' is before the previous arrival "
                                            "(expected non-decreasing times) (expected an arrival trace: a header of "
                                            "time[,key][,size], then one arrival per line)");
  }
  write("c.csv", "when\n1\n");
  EXPECT_THROW(load_scenario_text(scenario("c.csv"), file), ScenarioError);
  EXPECT_THROW(load_scenario_text(scenario("missing.csv"), file), ScenarioError);
}

TEST(LoadShapeLoader, AutoscaleLoadsWithDefaultsAndChecksTheRange) {
  const Scenario s = load("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"
                          "    autoscale: {min: 2, max: 8, metric: latency_p99, target: 500ms}\n");
  const ConsumerGroup& g = s.consumers[0];
  ASSERT_TRUE(g.autoscale);
  EXPECT_EQ(g.count, 2u);  // min
  EXPECT_EQ(g.autoscale->target, 500.0 * kMillisecond);
  EXPECT_EQ(g.autoscale->slo, 500 * kMillisecond);
  EXPECT_EQ(g.autoscale->interval, 15 * kSecond);
  EXPECT_EQ(scenario_to_json(load(scenario_to_json(s).dump())), scenario_to_json(s));
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n    count: 9\n"
                     "    autoscale: {min: 2, max: 8, metric: backlog_per_consumer, target: 10}\n"),
            "s.yaml:7:12: consumers[0].count: count 9 is outside autoscale's min..max (expected the initial count, from min "
            "to max)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"
                     "    autoscale: {min: 4, max: 2, metric: backlog_per_consumer, target: 10}\n"),
            "s.yaml:7:30: consumers[0].autoscale.max: '2' is out of range (expected a whole number from 4 to 100000)");
}

}  // namespace
}  // namespace qlab::workloads
