// `qlab run --groups` through the real executable: the per-group tables, and summary.json's groups.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;
using testing::read_file;

TEST(CliGroups, RunPrintsAndWritesEveryGroup) {
  CliRunner cli;
  cli.write("s.yaml",
            "name: g\nseed: 2\nrepetitions: 2\nduration: 60s\n"
            "producers: [{name: orders, rate: 5/s}, {name: audit, rate: 1/s, size: 64KiB}]\n"
            "consumers: [{name: fast, count: 2, service: 50ms}, {name: slow, service: 500ms}]\n");
  const auto plain = cli.run("run s.yaml");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("producer group"), std::string::npos) << "the tables are printed only with --groups";

  const auto outcome = cli.run("run s.yaml --groups --out out");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  for (const char* text : {"producer group", "consumer group", "\n  orders ", "\n  audit ", "\n  fast ", "\n  slow "}) {
    EXPECT_NE(outcome.out.find(text), std::string::npos) << text << " missing from:\n" << outcome.out;
  }
  const auto summary = nlohmann::json::parse(read_file(cli.dir() / "out/summary.json"));
  const auto& groups = summary["groups"];
  const double published = groups["producers"]["orders"]["published"]["mean"].get<double>() +
                           groups["producers"]["audit"]["published"]["mean"].get<double>();
  EXPECT_DOUBLE_EQ(published, summary["metrics"]["published"]["mean"].get<double>());
  EXPECT_EQ(groups["consumers"]["fast"]["consumers"]["mean"].get<double>(), 2);
  EXPECT_TRUE(groups["consumers"]["slow"].contains("utilization"));
  EXPECT_TRUE(groups["producers"]["audit"].contains("latency_p99"));
}

}  // namespace
}  // namespace qlab::cli
