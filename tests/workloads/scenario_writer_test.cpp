#include "workloads/scenario_writer.hpp"

#include <gtest/gtest.h>

#include "load_helpers.hpp"

namespace qlab::workloads {
namespace {

using testing::kMinimal;
using testing::load;

TEST(ScenarioWriter, WritesEveryDefaultInUnits) {
  const auto json = scenario_to_json(load(kMinimal));
  EXPECT_EQ(json.dump(),
            R"({"name":"t","description":"","seed":1,"repetitions":1,"duration":"100s","warmup":"0s","drain":true,)"
            R"("drain_timeout":"24h","metrics":{},"queue":{"design":"pull","max_length":0,"max_bytes":0,)"
            R"("overflow":"reject_publish","ttl":"0s","discarded":"drop"},"producers":[{"name":"producers","count":1,)"
            R"("arrival":"poisson","rate":"1/s","size":"100B","on_unavailable":"refuse"}],"consumers":[{"name":"consumers","count":1,"service":"1s",)"
            R"("prefetch":1}],"network":{"latency":"0s"},"faults":[]})");
}

TEST(ScenarioWriter, WritesDistributionsAndDesignParameters) {
  const auto json = scenario_to_json(load(
      kMinimal + "  - name: b\n    service: {dist: pareto, mean: 1.5ms, shape: 2.5}\nqueue:\n  design: visibility_timeout\n"
                 "faults:\n  - every: {dist: uniform, min: 1s, max: 3s}\n    until: 50s\n    action: stall\n"
                 "    target: b\n    duration: 2s\n"));
  EXPECT_EQ(json["consumers"][1]["service"].dump(), R"({"dist":"pareto","mean":"1.5ms","shape":2.5})");
  EXPECT_EQ(json["queue"].dump(),
            R"({"design":"visibility_timeout","visibility_timeout":"30s","max_receives":0,"stale_ack":"reject",)"
            R"("release_on_disconnect":false,"redelivery_delay":"0s","redelivery_backoff":"constant",)"
            R"("redelivery_delay_max":"0s","max_length":0,"max_bytes":0,"overflow":"reject_publish","ttl":"0s",)"
            R"("discarded":"drop"})");
  EXPECT_EQ(json["faults"][0].dump(),
            R"({"every":{"dist":"uniform","min":"1s","max":"3s"},"until":"50s","action":"stall","target":"b",)"
            R"("duration":"2s"})");
}

TEST(ScenarioWriter, RoundTripsThroughTheLoader) {
  const std::string text =
      "name: rt\nseed: 3\nwarmup: auto\nmetrics: {interval: 250ms}\nproducers:\n  - arrival: batch\n    messages: 7\n"
      "    at: 1.5s\n    size: {dist: exponential, mean: 1KiB}\n  - name: slowly\n    rate: 10/h\n    messages: 3\n"
      "    size: 1MiB\nconsumers:\n  - service: {dist: lognormal, mean: 1s, cv: 0.1}\n  - service: {dist: erlang, k: 3, "
      "mean: 250us}\n    count: 2\nnetwork:\n  latency: {dist: constant, value: 1ms}\nfaults:\n  - at: 1s\n"
      "    action: crash\n    target: consumers2[1]\n    restart_after: 0s\n";
  const auto first = scenario_to_json(load(text));
  const auto second = scenario_to_json(load_scenario_text(first.dump(), "resolved.json"));
  EXPECT_EQ(first.dump(), second.dump());
  EXPECT_EQ(first["producers"][1]["rate"], scenario_to_json(load_scenario_text(second.dump(), "r"))["producers"][1]["rate"]);
}

}  // namespace
}  // namespace qlab::workloads
