#pragma once
// The state of a suite's Slurm job array, read from its output folder alone (no Slurm command, so it works
// on any cluster and after the job has left squeue): a shard is pending until its log appears, running
// until its exit file appears, then done (status 0) or failed. A point is done when its folder is complete;
// otherwise it is running, pending or failed with its shard.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/suite.hpp"

namespace qlab::bench {

struct ArrayCounts {
  std::size_t shards_pending = 0, shards_running = 0, shards_done = 0, shards_failed = 0;
  std::size_t points_pending = 0, points_running = 0, points_done = 0, points_failed = 0;
  bool operator==(const ArrayCounts&) const = default;
};

struct ShardFailure {
  unsigned shard = 0;
  std::optional<int> status;  // none: the task left no exit file (killed, cancelled, out of time, or the
                              // output folder is not shared with its node)
  std::filesystem::path log;
  std::size_t points_missing = 0;
};

class SuiteSlurmProgress {
 public:
  SuiteSlurmProgress(const Suite& suite, std::filesystem::path out, unsigned shards);

  // Reads the folder again. Once `ended` (sbatch has returned), a shard without an exit file has failed.
  ArrayCounts read(bool ended = false);
  // The failed shards of the last read(), by number.
  std::vector<ShardFailure> failures() const;

 private:
  enum class State { pending, running, done, failed };
  std::filesystem::path out_;
  unsigned shards_;
  std::vector<const SuitePoint*> points_;  // in suite order: point k belongs to shard k mod N + 1
  std::vector<bool> complete_;             // cached: a complete point stays complete
  std::vector<State> states_;              // per shard, index shard - 1
  std::vector<std::optional<int>> statuses_;
};

// The last `lines` lines of a text file, or "" when it cannot be read.
std::string tail_of(const std::filesystem::path& file, std::size_t lines);

}  // namespace qlab::bench
