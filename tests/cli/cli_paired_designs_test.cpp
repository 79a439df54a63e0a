// Issue 11 (CLI): `qlab run SCENARIO --design a,b` runs the designs at the same seeds and prints them side by
// side with the CI of each paired difference; each design's results equal a run of that design alone.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "metrics/statistics.hpp"

namespace qlab::cli {
namespace {

using testing::CliRunner;
using testing::kSmallScenario;
using OrderedJson = nlohmann::ordered_json;

OrderedJson summary(const CliRunner& cli, const std::string& folder) {
  return OrderedJson::parse(testing::read_file(cli.dir() / folder / "summary.json"));
}

TEST(CliPairedDesigns, EachDesignRunsAtTheSameSeedsAsItWouldAlone) {
  CliRunner cli;
  cli.write("s.yaml", kSmallScenario);
  const auto paired = cli.run("run s.yaml --design pull,visibility_timeout --out out -j 2");
  ASSERT_EQ(paired.exit_code, 0) << paired.err;
  EXPECT_NE(paired.out.find("designs pull, visibility_timeout paired: 3 repetitions each at the same seeds"), std::string::npos)
      << paired.out;
  EXPECT_NE(paired.out.find("visibility_timeout - pull"), std::string::npos) << paired.out;
  const auto alone = cli.run("run s.yaml --design pull --out alone -j 1");
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const OrderedJson a = summary(cli, "out/pull");
  const OrderedJson b = summary(cli, "out/visibility_timeout");
  const OrderedJson single = summary(cli, "alone");
  EXPECT_EQ(a["design"], "pull");
  EXPECT_EQ(b["design"], "visibility_timeout");
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(a["runs"][r]["seed"], b["runs"][r]["seed"]);
    EXPECT_EQ(a["runs"][r]["metrics"]["published"], single["runs"][r]["metrics"]["published"]);
    EXPECT_EQ(a["runs"][r]["metrics"]["latency_p99"], single["runs"][r]["metrics"]["latency_p99"]);
    // Common random numbers: both designs see the same arrivals.
    EXPECT_EQ(a["runs"][r]["metrics"]["published"], b["runs"][r]["metrics"]["published"]);
  }
}

TEST(CliPairedDesigns, UnknownOrRepeatedDesignsAreRefusedBeforeAnythingRuns) {
  CliRunner cli;
  cli.write("s.yaml", kSmallScenario);
  const auto typo = cli.run("run s.yaml --design pull,preasigned --out out");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("qlab: --design pull,preasigned: unknown design 'preasigned' (did you mean 'preassigned'?"),
            std::string::npos) << typo.err;
  const auto twice = cli.run("run s.yaml --design pull,pull --out out");
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_EQ(twice.err, "qlab: --design pull,pull: design 'pull' is given twice (expected each design once)\n");
  EXPECT_FALSE(std::filesystem::exists(cli.dir() / "out"));
}

}  // namespace
}  // namespace qlab::cli
