// Results files appear whole or not at all, and large ones (written in pieces) hold every row once.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "metrics/atomic_file.hpp"
#include "metrics/results_writer.hpp"

namespace qlab {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "qlab-atomic-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, PiecesAppearUnderTheNameOnlyWholeOnCommit) {
  const fs::path path = dir_ / "out.csv";
  const std::string big(200000, 'x');
  AtomicFile file(path);
  file.write("head\n");
  file.write(big);
  file.write("");
  EXPECT_FALSE(fs::exists(path));
  file.commit();
  EXPECT_EQ(read(path), "head\n" + big);
  EXPECT_FALSE(fs::exists(dir_ / "out.csv.partial"));
}

TEST_F(AtomicFileTest, AFileNeverCommittedLeavesNothing) {
  const fs::path path = dir_ / "out.csv";
  {
    AtomicFile file(path);
    file.write("half a row");
    EXPECT_TRUE(fs::exists(dir_ / "out.csv.partial"));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(dir_ / "out.csv.partial"));
}

TEST_F(AtomicFileTest, AFileThatCannotBeCreatedNamesItsPath) {
  const fs::path path = dir_ / "missing" / "out.csv";
  try {
    AtomicFile file(path);
    FAIL() << "created a file in a folder that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ": cannot create"), std::string::npos) << e.what();
  }
}

TEST_F(AtomicFileTest, ACommittedFileReplacesAnOlderOne) {
  const fs::path path = dir_ / "out.csv";
  write_file_atomically(path, "old");
  write_file_atomically(path, "new");
  EXPECT_EQ(read(path), "new");
}

// consumers.csv for many consumers goes out in pieces of the text: every row must be there once, in order,
// exactly as the whole text would be.
TEST_F(AtomicFileTest, ARowPerConsumerIsWrittenWholeAcrossPieces) {
  RunResult run;
  run.repetition = 3;
  std::ostringstream expected;
  expected.precision(12);
  expected << "repetition,consumer,group,processed,busy_seconds,alive_seconds,utilization,idle_with_backlog\n";
  for (int i = 0; i < 60000; ++i) {
    const ConsumerFigures c{"workers[" + std::to_string(i) + "]", "workers", 1000000007LL * i, 3000000000LL + i, i % 7,
                            static_cast<std::uint64_t>(i)};
    run.consumers.push_back(c);
    const double alive = to_seconds(c.alive);
    expected << "3," << c.name << ",workers," << i << ',' << to_seconds(c.busy) << ',' << alive << ','
             << to_seconds(c.busy) / alive << ',' << to_seconds(c.idle_with_backlog) / alive << '\n';
  }
  write_results(dir_ / "results", RunInfo{"sim", "s", "pull", 1, nlohmann::ordered_json::object()}, {run});
  const std::string written = read(dir_ / "results" / "consumers.csv");
  EXPECT_GT(written.size(), 2u << 20);  // several pieces
  EXPECT_EQ(written, expected.str());
}

}  // namespace
}  // namespace qlab
