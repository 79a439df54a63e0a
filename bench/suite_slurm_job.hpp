#pragma once
// A suite as a Slurm job array (docs: docs/SCALE.md): task I of N runs `qlab suite SUITE --out DIR --shard I/N`.
// DIR must be on a filesystem every node shares: the submitting side writes a random token into DIR/slurm/,
// and a task that does not find it there fails at once, naming its host, instead of writing its points
// into a folder nobody will merge. Each task leaves DIR/slurm/shard-I.log (its output) and, when qlab has
// returned, DIR/slurm/shard-I.exit (its exit status); SuiteSlurmProgress reads them.
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace qlab::bench {

struct SlurmJob {
  std::filesystem::path qlab;                // the executable every task runs; absolute
  std::filesystem::path suite_file;          // absolute
  std::filesystem::path out;                 // absolute
  std::string name;                          // the job's name: qlab-<suite name>
  unsigned tasks = 1;                        // shards, one array task each
  std::vector<std::string> sbatch_options;   // one #SBATCH line each, e.g. --partition=long
  std::string filter;                        // --filter for every task, when not empty
  bool resume = false;                       // --resume for every task
  unsigned jobs = 0;                         // --jobs for every task; 0: the CPUs Slurm gave it ($SLURM_CPUS_ON_NODE)
  std::string token;                         // random_token(); prepare_slurm_folder writes it
};

std::filesystem::path slurm_folder(const std::filesystem::path& out);  // out/slurm
std::filesystem::path shard_log(const std::filesystem::path& out, unsigned shard);
std::filesystem::path shard_exit_file(const std::filesystem::path& out, unsigned shard);

std::string random_token();  // 32 hex digits
// Creates out/slurm, removes the logs and exit files of an earlier array, and writes `token` for the tasks.
void prepare_slurm_folder(const std::filesystem::path& out, const std::string& token);

// The sbatch script: a POSIX shell script with the #SBATCH lines of the array. Throws
// qlab::workloads::ScenarioError for an option sbatch could not read (not starting with '-', or a newline).
std::string slurm_script(const SlurmJob& job);

struct SbatchOutcome {
  int status = 0;        // sbatch's exit status: with --wait, the highest exit status of the array's tasks
  std::string job_id;    // empty when sbatch did not submit
  bool stopped = false;  // `stop` became true: sbatch was sent SIGINT, which makes it cancel the job
  bool finished = false; // `on_poll` said every task has finished: sbatch was sent SIGTERM (status meaningless)
};

// Runs `sbatch --wait --parsable SCRIPT` (sbatch from PATH; its stderr goes to ours) and calls `on_poll`
// with the job id known so far about once a second until sbatch exits or `on_poll` returns true. The
// latter ends the wait early: sbatch --wait polls the controller at intervals growing to 10 s, so it may
// notice the end of the array seconds late, while every task's exit file tells it at once. Throws
// std::runtime_error when sbatch cannot be started.
SbatchOutcome submit_and_wait(const std::filesystem::path& script, const std::atomic<bool>* stop,
                              const std::function<bool(const std::string& job_id)>& on_poll);

}  // namespace qlab::bench
