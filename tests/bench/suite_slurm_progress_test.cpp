// The Slurm job array as the output folder shows it, and the script that makes the folder show it.
#include "bench/suite_slurm_progress.hpp"

#include <gtest/gtest.h>

#include "bench/suite_runner.hpp"
#include "bench/suite_slurm_job.hpp"
#include "suite_files.hpp"

namespace qlab::bench {
namespace {

using SlurmProgress = testing::SuiteFiles;
using testing::kTinySuite;

TEST_F(SlurmProgress, ShardsAndPointsFollowTheLogsExitFilesAndPointFolders) {
  const Suite suite = load(kTinySuite);  // 6 points; with 4 shards, shard 1 has points 0 and 4, shard 2 has 1 and 5
  const std::filesystem::path out = dir_ / "out";
  prepare_slurm_folder(out, "token");
  SuiteSlurmProgress progress(suite, out, 4);
  EXPECT_EQ(progress.read(), (ArrayCounts{4, 0, 0, 0, 6, 0, 0, 0}));

  write("out/slurm/shard-1.log", "started\n");  // slurmd creates the log when the task starts
  write("out/slurm/shard-2.log", "started\n");
  EXPECT_EQ(progress.read(), (ArrayCounts{2, 2, 0, 0, 2, 4, 0, 0}));

  SuiteOptions options = options_for("out", 1);
  options.shard = Shard{1, 4};
  run_suite(suite, options);
  write("out/slurm/shard-1.exit", "0\n");
  write("out/slurm/shard-2.exit", "1\n");
  EXPECT_EQ(progress.read(), (ArrayCounts{2, 0, 1, 1, 2, 0, 2, 2}));
  EXPECT_EQ(progress.read(true), (ArrayCounts{0, 0, 1, 3, 0, 0, 2, 4}));  // sbatch returned: no exit file is a failure

  const std::vector<ShardFailure> failures = progress.failures();
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].shard, 2u);
  EXPECT_EQ(failures[0].status, 1);
  EXPECT_EQ(failures[0].points_missing, 2u);
  EXPECT_EQ(failures[0].log, out / "slurm/shard-2.log");
  EXPECT_EQ(failures[1].shard, 3u);
  EXPECT_FALSE(failures[1].status.has_value());
}

TEST_F(SlurmProgress, PreparingTheFolderClearsAnEarlierArray) {
  const std::filesystem::path out = dir_ / "out";
  prepare_slurm_folder(out, "first");
  write("out/slurm/shard-1.log", "old\n");
  write("out/slurm/shard-1.exit", "1\n");
  write("out/slurm/notes.txt", "mine\n");
  prepare_slurm_folder(out, "second");
  EXPECT_FALSE(std::filesystem::exists(out / "slurm/shard-1.log"));
  EXPECT_FALSE(std::filesystem::exists(out / "slurm/shard-1.exit"));
  EXPECT_TRUE(std::filesystem::exists(out / "slurm/notes.txt"));  // only what an array writes
  EXPECT_EQ(read(out / "slurm/token"), "second\n");
}

TEST_F(SlurmProgress, TheScriptRunsOneShardPerTaskAfterCheckingTheFolder) {
  SlurmJob job;
  job.qlab = "/opt/qlab/bin/qlab";
  job.suite_file = "/shared/it's.yaml";
  job.out = "/shared/out 100%";
  job.name = "qlab-s";
  job.tasks = 3;
  job.sbatch_options = {"--time=1:00:00"};
  job.filter = "load*";
  job.token = "abc";
  const std::string script = slurm_script(job);
  EXPECT_NE(script.find("#SBATCH --array=1-3\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --output=\"/shared/out 100%%/slurm/shard-%a.log\"\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=1:00:00\n"), std::string::npos);
  EXPECT_NE(script.find("!= 'abc' ]; then"), std::string::npos);
  EXPECT_NE(script.find("'/opt/qlab/bin/qlab' suite '/shared/it'\\''s.yaml' --out '/shared/out 100%' --filter 'load*' "
                        "--shard \"$shard/3\" --jobs \"${SLURM_CPUS_ON_NODE:-1}\"\n"),
            std::string::npos)
      << script;
  job.sbatch_options = {"time=1:00:00"};
  EXPECT_THROW(slurm_script(job), workloads::ScenarioError);
  job.sbatch_options = {"--time=1\n#SBATCH --x"};
  EXPECT_THROW(slurm_script(job), workloads::ScenarioError);
}

TEST(TailOf, GivesTheLastLines) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / ("qlab-tail-" + std::to_string(getpid()));
  std::ofstream(file) << "a\nb\nc\nd\n";
  EXPECT_EQ(tail_of(file, 2), "c\nd\n");
  EXPECT_EQ(tail_of(file, 10), "a\nb\nc\nd\n");
  std::filesystem::remove(file);
  EXPECT_EQ(tail_of(file, 2), "");
}

}  // namespace
}  // namespace qlab::bench
