#include "bench/suite_slurm_progress.hpp"

#include <fstream>
#include <iterator>
#include <utility>

#include "bench/suite_runner.hpp"
#include "bench/suite_shard.hpp"
#include "bench/suite_slurm_job.hpp"

namespace qlab::bench {
namespace {

std::optional<int> read_status(const std::filesystem::path& file) {
  std::ifstream in(file);
  int status = 0;
  if (in >> status) return status;
  return std::nullopt;
}

}  // namespace

SuiteSlurmProgress::SuiteSlurmProgress(const Suite& suite, std::filesystem::path out, unsigned shards)
    : out_(std::move(out)),
      shards_(shards),
      points_(suite.points()),
      complete_(points_.size(), false),
      states_(shards, State::pending),
      statuses_(shards) {}

ArrayCounts SuiteSlurmProgress::read(bool ended) {
  ArrayCounts counts;
  for (unsigned shard = 1; shard <= shards_; ++shard) {
    State& state = states_[shard - 1];
    statuses_[shard - 1] = read_status(shard_exit_file(out_, shard));
    if (const auto status = statuses_[shard - 1]) {
      state = *status == 0 ? State::done : State::failed;
    } else if (ended) {
      state = State::failed;
    } else {
      state = std::filesystem::exists(shard_log(out_, shard)) ? State::running : State::pending;
    }
    ++(state == State::pending ? counts.shards_pending
       : state == State::running ? counts.shards_running
       : state == State::done    ? counts.shards_done
                                 : counts.shards_failed);
  }
  for (std::size_t k = 0; k < points_.size(); ++k) {
    if (!complete_[k]) complete_[k] = point_is_complete(out_, *points_[k]);
    const State state = states_[shard_of(k, shards_) - 1];
    ++(complete_[k]                ? counts.points_done
       : state == State::pending   ? counts.points_pending
       : state == State::running   ? counts.points_running
                                   : counts.points_failed);
  }
  return counts;
}

std::vector<ShardFailure> SuiteSlurmProgress::failures() const {
  std::vector<ShardFailure> failed;
  for (unsigned shard = 1; shard <= shards_; ++shard) {
    if (states_[shard - 1] != State::failed) continue;
    ShardFailure failure{shard, statuses_[shard - 1], shard_log(out_, shard), 0};
    for (std::size_t k = 0; k < points_.size(); ++k) {
      if (shard_of(k, shards_) == shard && !complete_[k]) ++failure.points_missing;
    }
    failed.push_back(failure);
  }
  return failed;
}

std::string tail_of(const std::filesystem::path& file, std::size_t lines) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = text.size();
  if (start > 0 && text[start - 1] == '\n') --start;
  for (std::size_t seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
  }
  return text.substr(start);
}

}  // namespace qlab::bench
