#include "workloads/scenario_override.hpp"

#include <gtest/gtest.h>

#include "load_helpers.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::workloads {
namespace {

using testing::error_of;
using testing::kMinimal;
using testing::load;

std::string parse_error(const std::string& text) {
  try {
    parse_override(text);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ParseOverride, SplitsAtTheFirstEquals) {
  const Override o = parse_override("consumers[1].service={dist: uniform, min: 1s, max: 2s}");
  EXPECT_EQ(o.path, "consumers[1].service");
  EXPECT_EQ(o.value, "{dist: uniform, min: 1s, max: 2s}");
  EXPECT_EQ(parse_override("description=a=b").value, "a=b");
  EXPECT_EQ(parse_override("a[0][2].b=").value, "");
}

TEST(ParseOverride, RejectsMalformedOnes) {
  EXPECT_EQ(parse_error("queue.design"), "--set queue.design: no '=' (expected PATH=VALUE, e.g. consumers[0].count=4)");
  EXPECT_EQ(parse_error("=4"), "--set : empty path (expected a path such as queue.design or consumers[0].service.mean)");
  EXPECT_EQ(parse_error("consumers[1x].count=4"),
            "--set consumers[1x].count: '[1x]' is not an index (expected a path such as queue.design or "
            "consumers[0].service.mean)");
  EXPECT_EQ(parse_error("consumers[0.count=4"),
            "--set consumers[0.count: '[' without ']' (expected a path such as queue.design or consumers[0].service.mean)");
  EXPECT_EQ(parse_error("queue..design=pull"),
            "--set queue..design: unexpected '.' (expected a path such as queue.design or consumers[0].service.mean)");
  EXPECT_EQ(parse_error("[0]=1"),
            "--set [0]: a path starts with a key (expected a path such as queue.design or consumers[0].service.mean)");
  EXPECT_EQ(parse_error("queue.=pull"),
            "--set queue.: misplaced '.' (expected a path such as queue.design or consumers[0].service.mean)");
}

TEST(ApplyOverrides, ValuesAreParsedAsYaml) {
  const Scenario s = load(kMinimal, {"consumers[0].service={dist: exponential, mean: 2s}", "queue.design=preassigned",
                                     "consumers[0].count=3"});
  EXPECT_EQ(s.consumers[0].service.kind(), Distribution::Kind::exponential);
  EXPECT_EQ(s.consumers[0].service.a(), static_cast<double>(2 * kSecond));
  EXPECT_EQ(s.queue.design, "preassigned");
  EXPECT_EQ(s.consumers[0].count, 3u);
}

TEST(ApplyOverrides, MissingKeysAndMapsAreCreated) {
  const Scenario s = load(kMinimal, {"network.latency=2ms", "queue.design=visibility_timeout", "queue.max_receives=3"});
  EXPECT_EQ(s.network.latency.a(), static_cast<double>(2 * kMillisecond));
  EXPECT_EQ(std::get<std::int64_t>(s.queue.params.at("max_receives")), 3);
}

TEST(ApplyOverrides, ApplyInOrder) {
  EXPECT_EQ(load(kMinimal, {"seed=5", "seed=6"}).seed, 6u);
  EXPECT_EQ(load(kMinimal, {"consumers[0]={service: 1s}", "consumers[0].count=2"}).consumers[0].count, 2u);
}

TEST(ApplyOverrides, AnIndexOutOfRangeNamesTheLength) {
  EXPECT_EQ(error_of(kMinimal, {"consumers[1].count=4"}),
            "--set consumers[1].count=4: consumers[1]: index 1 is out of range: consumers has 1 entries (expected an "
            "index below 1)");
}

TEST(ApplyOverrides, CannotStepIntoAScalarOrAList) {
  EXPECT_EQ(error_of(kMinimal, {"name.first=x"}),
            "--set name.first=x: name: is a scalar, it has no key 'first' (expected a path that stops at name)");
  EXPECT_EQ(error_of(kMinimal, {"consumers.count=2"}),
            "--set consumers.count=2: consumers: is a list, it has no key 'count' (expected an index such as "
            "consumers[0])");
  EXPECT_EQ(error_of(kMinimal, {"name[0]=x"}), "--set name[0]=x: name: is not a list (expected a key such as name.name)");
}

TEST(ApplyOverrides, InvalidYamlValuesAreReported) {
  EXPECT_EQ(error_of(kMinimal, {"consumers[0].service={dist: exponential"}),
            "--set consumers[0].service={dist: exponential: consumers[0].service: the value is not valid YAML: end of map "
            "flow not found (expected a YAML value such as 4, 2s or {dist: exponential, mean: 1s})");
}

TEST(ApplyOverrides, ChangeTheTreeInPlace) {
  const YAML::Node root = YAML::Load(kMinimal);
  EXPECT_EQ(load_scenario_node(root, "s.yaml", {parse_override("seed=9")}).seed, 9u);
  EXPECT_EQ(root["seed"].as<int>(), 9);
}

TEST(PathExists, InTheYamlTreeAndInTheResolvedScenario) {
  const YAML::Node root = YAML::Load(kMinimal);
  EXPECT_TRUE(path_exists(root, "consumers[0].service"));
  EXPECT_FALSE(path_exists(root, "consumers[1].service"));
  EXPECT_FALSE(path_exists(root, "consumers[0].prefetch"));
  const auto resolved = scenario_to_json(load(kMinimal));
  EXPECT_TRUE(path_exists(resolved, "consumers[0].prefetch"));
  EXPECT_TRUE(path_exists(resolved, "queue.design"));
  EXPECT_FALSE(path_exists(resolved, "queue.visibility_timeout"));
  EXPECT_FALSE(path_exists(resolved, "name.first"));
}

}  // namespace
}  // namespace qlab::workloads
