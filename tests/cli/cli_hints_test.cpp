// Issue 11 (CLI): one meaning per flag (-j/--jobs, --threads an alias, in run, suite and check) and
// did-you-mean for misspelt subcommands and flags, through the real executable.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;


std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(CliHints, AMisspeltSubcommandIsNamed) {
  CliRunner cli;
  const auto outcome = cli.run("sute x.yaml");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_EQ(first_line(outcome.err), "qlab: unknown command 'sute' (did you mean 'suite'?)");
}

TEST(CliHints, AnUnknownSubcommandListsTheCommands) {
  CliRunner cli;
  const auto outcome = cli.run("frobnicate");
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_NE(first_line(outcome.err).find("qlab: unknown command 'frobnicate' (expected one of run, validate,"), std::string::npos)
      << outcome.err;
}

TEST(CliHints, AMisspeltFlagIsNamedWithItsCommand) {
  CliRunner cli;
  cli.write("s.yaml", testing::kTinyScenario);
  const auto run = cli.run("run s.yaml --rep 3");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(first_line(run.err), "qlab: run: unknown flag '--rep' (did you mean '--reps'?)");
  const auto suite = cli.run("suite s.yaml --dry-rn");
  EXPECT_EQ(suite.exit_code, 2);
  EXPECT_EQ(first_line(suite.err), "qlab: suite: unknown flag '--dry-rn' (did you mean '--dry-run'?)");
  EXPECT_EQ(suite.out, "");
}

TEST(CliHints, JobsAndItsAliasThreadsAreOneFlagInRunSuiteAndCheck) {
  CliRunner cli;
  cli.write("s.yaml", testing::kTinyScenario);
  for (const char* flag : {"-j 2", "--jobs 2", "--threads 2", "--jobs=2"}) {
    const auto outcome = cli.run(std::string("run s.yaml --reps 2 ") + flag);
    EXPECT_EQ(outcome.exit_code, 0) << flag << ": " << outcome.err;
  }
  for (const char* command : {"run s.yaml", "suite s.yaml", "check"}) {
    for (const char* flag : {"--jobs 0", "--threads 0"}) {
      const auto outcome = cli.run(std::string(command) + " " + flag);
      EXPECT_EQ(outcome.exit_code, 2) << command << " " << flag;
      EXPECT_EQ(first_line(outcome.err), "--jobs: '0' is out of range (expected a whole number from 1 to 1024)") << command;
    }
  }
}

}  // namespace
}  // namespace qlab::cli
