#include "bench/suite_runner.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/suite_reports.hpp"
#include "metrics/results_writer.hpp"
#include "sim/simulation.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::bench {
namespace {

// A point still to run: its repetitions fill `results` in any order; the last one writes the folder.
struct PendingPoint {
  const SuitePoint* point = nullptr;
  std::vector<RunResult> results;
  std::atomic<std::uint32_t> remaining{0};
};

struct Task {
  PendingPoint* pending;
  std::uint32_t repetition;
};

void write_point(const std::filesystem::path& out, const SuitePoint& point, const std::vector<RunResult>& results) {
  const std::filesystem::path dir = out / point.folder();
  std::filesystem::create_directories(dir);
  write_file_atomically(dir / "point.json", point_json(point).dump(2) + "\n");
  const RunInfo info{"sim", point.scenario.name, point.scenario.queue.design, point.scenario.seed,
                     workloads::scenario_to_json(point.scenario)};
  write_results(dir, info, results);  // summary.json last
}

class Pool {
 public:
  Pool(const std::filesystem::path& out, std::vector<Task> tasks, const std::atomic<bool>* stop)
      : out_(out), tasks_(std::move(tasks)), stop_(stop) {}

  // Runs the tasks on `jobs` threads; `drain` is called on this thread with each finished point and
  // periodically until the workers are done. Rethrows the first exception a task threw.
  void run(unsigned jobs, const std::function<void(std::vector<const SuitePoint*>)>& drain) {
    active_ = jobs;  // before any worker starts
    std::vector<std::jthread> workers;
    for (unsigned i = 0; i < jobs; ++i) workers.emplace_back([this] { work(); });
    std::unique_lock lock(mutex_);
    while (true) {
      cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return !finished_.empty() || active_ == 0; });
      std::vector<const SuitePoint*> finished(finished_.begin(), finished_.end());
      finished_.clear();
      const bool all_stopped = active_ == 0;
      lock.unlock();
      drain(std::move(finished));
      lock.lock();
      if (all_stopped && finished_.empty()) break;
    }
    lock.unlock();
    workers.clear();
    if (error_) std::rethrow_exception(error_);
  }

  std::size_t tasks_done() const { return done_.load(); }

 private:
  bool stopping() const { return failed_.load() || (stop_ != nullptr && stop_->load()); }

  void work() {
    try {
      while (!stopping()) {
        const std::size_t i = next_.fetch_add(1);
        if (i >= tasks_.size()) break;
        const Task& task = tasks_[i];
        PendingPoint& pending = *task.pending;
        pending.results[task.repetition] = sim::simulate(pending.point->scenario, task.repetition);
        if (pending.remaining.fetch_sub(1) == 1) {
          write_point(out_, *pending.point, pending.results);
          pending.results.clear();
          std::lock_guard lock(mutex_);
          finished_.push_back(pending.point);
        }
        ++done_;
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!error_) error_ = std::current_exception();
      failed_ = true;
    }
    std::lock_guard lock(mutex_);
    --active_;
    cv_.notify_all();
  }

  const std::filesystem::path& out_;
  std::vector<Task> tasks_;
  const std::atomic<bool>* stop_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<const SuitePoint*> finished_;
  std::exception_ptr error_;
  unsigned active_ = 0;  // running workers, guarded by mutex_
};

}  // namespace

bool point_is_complete(const std::filesystem::path& out, const SuitePoint& point) {
  std::ifstream in(out / point.folder() / "summary.json");
  if (!in) return false;
  try {
    const auto summary = nlohmann::ordered_json::parse(in);
    return summary.contains("scenario_resolved") && scenario_hash(summary.at("scenario_resolved")) == point.scenario_hash;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

std::vector<const SuitePoint*> missing_points(const Suite& suite, const std::filesystem::path& out) {
  std::vector<const SuitePoint*> missing;
  for (const SuitePoint* point : suite.points()) {
    if (!point_is_complete(out, *point)) missing.push_back(point);
  }
  return missing;
}

SuiteOutcome run_suite(const Suite& suite, const SuiteOptions& options) {
  SuiteOutcome outcome;
  SuiteProgress progress;
  remove_suite_reports(options.out);

  std::deque<PendingPoint> pending;  // stable addresses
  std::vector<Task> tasks;
  const std::vector<const SuitePoint*> points = suite.points();
  for (std::size_t number = 0; number < points.size(); ++number) {
    if (options.shard && !options.shard->contains(number)) continue;
    const SuitePoint& point = *points[number];
    ++outcome.points_total;
    if (options.resume && point_is_complete(options.out, point)) {
      ++outcome.points_skipped;
      continue;
    }
    PendingPoint& p = pending.emplace_back();
    p.point = &point;
    p.results.resize(point.scenario.repetitions);
    p.remaining = point.scenario.repetitions;
    for (std::uint32_t r = 0; r < point.scenario.repetitions; ++r) tasks.push_back(Task{&p, r});
  }
  progress.points_total = outcome.points_total;
  progress.points_done = outcome.points_skipped;
  progress.tasks_total = tasks.size();

  unsigned jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, tasks.size()));
  if (jobs > 0) {
    Pool pool(options.out, std::move(tasks), options.stop);
    pool.run(jobs, [&](std::vector<const SuitePoint*> finished) {
      progress.tasks_done = pool.tasks_done();
      for (const SuitePoint* point : finished) {
        ++progress.points_done;
        ++outcome.points_run;
        if (options.on_point) options.on_point(*point, progress);
      }
      if (options.on_progress) options.on_progress(progress);
    });
    outcome.tasks_run = pool.tasks_done();
  }
  outcome.interrupted = outcome.points_skipped + outcome.points_run < outcome.points_total;
  if (!outcome.interrupted && !options.shard) write_suite_reports(suite, options.out);
  return outcome;
}

}  // namespace qlab::bench
