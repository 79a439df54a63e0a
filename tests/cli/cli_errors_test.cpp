// Every class of bad input, through the real executable: a precise message, exit code 2, no files.
#include <gtest/gtest.h>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;

constexpr const char* kValidScenario = "name: ok\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 100ms}]\n";

struct BadInput {
  const char* name;
  const char* yaml;
  const char* extra_arguments;
  const char* expected;  // the whole first line of stderr after "qlab: "
};

class CliRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliRejects, WithLocationMessageAndExitCode2AndNoOutput) {
  const BadInput& input = GetParam();
  CliRunner cli;
  cli.write("s.yaml", input.yaml);
  const auto outcome = cli.run(std::string("run s.yaml --out results ") + input.extra_arguments);
  EXPECT_EQ(outcome.exit_code, 2) << outcome.err;
  EXPECT_EQ(outcome.err, std::string("qlab: ") + input.expected + "\n");
  EXPECT_FALSE(std::filesystem::exists(cli.dir() / "results")) << "a rejected run wrote files";
}

INSTANTIATE_TEST_SUITE_P(
    LoaderErrors, CliRejects,
    ::testing::Values(
        BadInput{"UnknownKeyWithHint", "name: x\nduratoin: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s}]\n", "",
                 "s.yaml:2:1: duratoin: unknown key in the scenario (did you mean 'duration'? expected one of name, "
                 "description, seed, repetitions, duration, warmup, drain, drain_timeout, metrics, queue, producers, "
                 "consumers, network, broker, faults, live)"},
        BadInput{"WrongType", "name: x\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s, count: four}]\n", "",
                 "s.yaml:4:34: consumers[0].count: 'four' is not a whole number (expected a whole number from 1 to 4294967295)"},
        BadInput{"MissingUnit", "name: x\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 5}]\n", "",
                 "s.yaml:4:23: consumers[0].service: '5' has no unit (expected one of ns, us, ms, s, m, h, e.g. 5s)"},
        BadInput{"OutOfRange", "name: x\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s, prefetch: 0}]\n", "",
                 "s.yaml:4:37: consumers[0].prefetch: '0' is out of range (expected a whole number from 1 to 4294967295)"},
        BadInput{"DesignKeyOnWrongDesign",
                 "name: x\nduration: 10s\nqueue: {design: pull, visibility_timeout: 3s}\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s}]\n", "",
                 "s.yaml:3:23: queue.visibility_timeout: visibility_timeout is a parameter of design visibility_timeout "
                 "and replicated and fifo_groups, not of pull (expected queue.design: visibility_timeout, or no "
                 "visibility_timeout)"},
        BadInput{"DuplicateGroupNames",
                 "name: x\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{name: a, service: 1s}, {name: a, service: 1s}]\n", "",
                 "s.yaml:4:44: consumers[1].name: name 'a' is already used by consumers[0] (expected names unique across "
                 "producers and consumers)"},
        BadInput{"CannotEnd", "name: x\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s}]\n", "",
                 "s.yaml:2:13: producers[0]: this scenario cannot end: group 'producers' publishes without end and "
                 "there is no duration (expected messages on every producer group, or a top-level duration)"},
        BadInput{"BadOverridePath", kValidScenario, "--set consumers[3].count=2",
                 "--set consumers[3].count=2: consumers[3]: index 3 is out of range: consumers has 1 entries (expected an "
                 "index below 1)"},
        BadInput{"BadOverrideValue", kValidScenario, "--set consumers[0].count=-3",
                 "--set consumers[0].count=-3: consumers[0].count: '-3' is out of range (expected a whole number from 1 "
                 "to 4294967295)"},
        BadInput{"InvalidYaml", "name: x\n  bad: [\n", "", "s.yaml:2:6: invalid YAML: illegal map value (expected a YAML map)"}),
    [](const ::testing::TestParamInfo<BadInput>& input) { return input.param.name; });

TEST(CliRejects, MissingFileIsNamed) {
  CliRunner cli;
  const auto outcome = cli.run("run nowhere.yaml");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(outcome.err, "qlab: nowhere.yaml: cannot open (No such file or directory)\n");
}

TEST(CliRejects, UnknownFlagIsAUsageError) {
  CliRunner cli;
  cli.write("s.yaml", kValidScenario);
  const auto outcome = cli.run("run s.yaml --bogus");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.err.find("--bogus"), std::string::npos) << outcome.err;
}

TEST(CliValidate, ReportsEveryBadFileAndExits2) {
  CliRunner cli;
  cli.write("good.yaml", kValidScenario);
  cli.write("bad.yaml", "name: x\nduration: 10s\nproducers: [{rate: 1/s}]\nconsumers: [{service: 1s, prefetch: 0}]\n");
  const auto outcome = cli.run("validate good.yaml bad.yaml");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(outcome.out.find("good.yaml: ok"), std::string::npos);
  EXPECT_TRUE(outcome.err.starts_with("bad.yaml:4:37: consumers[0].prefetch:")) << outcome.err;
}

}  // namespace
}  // namespace qlab::cli
