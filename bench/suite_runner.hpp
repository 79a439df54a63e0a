#pragma once
// Runs a suite, or one shard of it: every (point x repetition) is an independent task on a pool of threads
// calling qlab::sim::simulate. A point's folder (named by its scenario's hash) is written when its last
// repetition finishes, by qlab::write_results (summary.json last) plus point.json. The suite's results.csv,
// comparisons.csv and suite.json are removed first and written again only when every point is complete
// (never by a shard: --merge writes them), so they never sit next to points they do not describe. Each file
// appears atomically.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "bench/suite.hpp"
#include "bench/suite_shard.hpp"

namespace qlab::bench {

struct SuiteProgress {
  std::size_t tasks_done = 0;    // repetitions simulated by this call
  std::size_t tasks_total = 0;   // repetitions this call has to simulate (points skipped by --resume excluded)
  std::size_t points_done = 0;   // complete points, skipped ones included
  std::size_t points_total = 0;
};

struct SuiteOptions {
  std::filesystem::path out;
  unsigned jobs = 0;                       // 0: all cores
  bool resume = false;                     // skip points whose folder already holds this scenario's results
  std::optional<Shard> shard;              // only this shard's points, and no suite-level files
  const std::atomic<bool>* stop = nullptr; // when it becomes true no new task starts; running ones finish
  // Both called from the calling thread: on_progress about four times a second and after each point,
  // on_point once per point written.
  std::function<void(const SuiteProgress&)> on_progress;
  std::function<void(const SuitePoint&, const SuiteProgress&)> on_point;
};

struct SuiteOutcome {
  std::size_t points_total = 0;   // of the shard, when there is one
  std::size_t points_skipped = 0;  // already complete (--resume)
  std::size_t points_run = 0;      // written by this call
  std::size_t tasks_run = 0;
  bool interrupted = false;        // stopped before every point was complete; no suite files written
};

SuiteOutcome run_suite(const Suite& suite, const SuiteOptions& options);

// True when the point's folder holds a summary.json for exactly this resolved scenario.
bool point_is_complete(const std::filesystem::path& out, const SuitePoint& point);
// The points of `suite` not complete in `out`, in suite order.
std::vector<const SuitePoint*> missing_points(const Suite& suite, const std::filesystem::path& out);

}  // namespace qlab::bench
