// qlab suite: runs a benchmark suite (docs: bench/README.md). Everything is validated before anything runs;
// Ctrl-C stops dispatching, lets the running repetitions finish and leaves only complete point folders.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "bench/suite.hpp"
#include "bench/suite_runner.hpp"
#include "commands.hpp"
#include "flag_checks.hpp"
#include "workloads/memory_estimate.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::cli {
namespace {

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the SIGINT handler stores to it");

// The first Ctrl-C asks for a clean stop; a second one ends the process at once.
extern "C" void on_sigint(int) {
  interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

struct SuiteArguments {
  std::string suite;
  std::string out;
  unsigned jobs = 0;
  bool resume = false;
  std::string filter;
  bool force = false;
};

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
  }
  return text;
}

// A single rewritten line on a terminal: [#####.....] tasks, points, elapsed, ETA.
class ProgressBar {
 public:
  explicit ProgressBar(std::chrono::steady_clock::time_point start) : start_(start) {}

  void draw(const bench::SuiteProgress& p) const {
    const double elapsed = seconds_since_start();
    const double fraction = p.tasks_total == 0 ? 1.0 : static_cast<double>(p.tasks_done) / static_cast<double>(p.tasks_total);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(kWidth - filled), '.');
    const std::string eta = p.tasks_done == 0 ? "?" : clock_text(elapsed * (1 - fraction) / fraction);
    std::fprintf(stderr, "\r\033[K[%s] %zu/%zu repetitions, %zu/%zu points, %s elapsed, ETA %s", bar.c_str(), p.tasks_done,
                 p.tasks_total, p.points_done, p.points_total, clock_text(elapsed).c_str(), eta.c_str());
    std::fflush(stderr);
  }

  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Points run one after another, their repetitions `jobs` at a time: the largest point decides.
void check_suite_memory(const bench::Suite& suite, const SuiteArguments& args) {
  const unsigned jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  workloads::MemoryEstimate largest;
  std::string where;
  for (const bench::SuiteRun& run : suite.runs) {
    for (const bench::SuitePoint& point : run.points) {
      const workloads::MemoryEstimate estimate = workloads::estimate_memory(point.scenario, jobs);
      if (estimate.bytes > largest.bytes) {
        largest = estimate;
        where = suite.file + ": run " + run.name + ", point " + point.id;
      }
    }
  }
  workloads::check_memory(largest, where, args.force);
}

void run(const SuiteArguments& args) {
  bench::Suite suite = bench::load_suite_file(args.suite);
  if (!args.filter.empty() && bench::filter_runs(suite, args.filter) == 0) {
    throw workloads::ScenarioError("--filter " + args.filter + ": no run name matches (runs are matched by substring, or as a glob with * ? [])");
  }
  const std::filesystem::path out = args.out.empty() ? std::filesystem::path("results") / suite.name : std::filesystem::path(args.out);
  check_output_path(out.string(), "--out", true);
  check_suite_memory(suite, args);

  const auto start = std::chrono::steady_clock::now();
  const ProgressBar bar(start);
  const bool terminal = isatty(STDERR_FILENO) != 0;
  bench::SuiteOptions options;
  options.out = out;
  options.jobs = args.jobs;
  options.resume = args.resume;
  options.stop = &interrupted;
  if (terminal) {
    options.on_progress = [&bar](const bench::SuiteProgress& p) { bar.draw(p); };
  } else {
    options.on_point = [&bar](const bench::SuitePoint& point, const bench::SuiteProgress& p) {
      std::fprintf(stderr, "qlab: %s/%s %s done: %zu/%zu points, %zu/%zu repetitions, %.1fs\n", point.run.c_str(),
                   point.id.c_str(), point.design.c_str(), p.points_done, p.points_total, p.tasks_done, p.tasks_total,
                   bar.seconds_since_start());
    };
  }

  std::printf("suite %s: %zu runs, %zu points, %zu repetitions -> %s\n", suite.name.c_str(), suite.runs.size(),
              suite.point_count(), suite.task_count(), out.string().c_str());
  std::fflush(stdout);
  interrupted = false;
  const auto previous = std::signal(SIGINT, on_sigint);
  const bench::SuiteOutcome outcome = bench::run_suite(suite, options);
  std::signal(SIGINT, previous);
  if (terminal) std::fprintf(stderr, "\n");

  const std::size_t complete = outcome.points_skipped + outcome.points_run;
  if (outcome.interrupted) {
    std::printf("interrupted: %zu of %zu points complete in %s; run again with --resume to continue\n", complete,
                outcome.points_total, out.string().c_str());
    throw ExitCode{130};
  }
  std::printf("%zu points (%zu run, %zu already complete), %zu repetitions in %.1fs\n", outcome.points_total,
              outcome.points_run, outcome.points_skipped, outcome.tasks_run, bar.seconds_since_start());
  const bool compared = std::filesystem::exists(out / "comparisons.csv");
  std::printf("results in %s: results.csv,%s suite.json, runs/<run>/<point>/\n", out.string().c_str(),
              compared ? " comparisons.csv," : "");
}

}  // namespace

void add_suite_command(CLI::App& app) {
  auto args = std::make_shared<SuiteArguments>();
  auto* command = app.add_subcommand("suite", "Run a benchmark suite: every run x sweep point x repetition");
  command->add_option("suite", args->suite, "Suite YAML file (see bench/README.md)")->required();
  command->add_option("--out,-o", args->out, "Output folder (default: results/<suite name>)");
  command->add_option("--jobs,-j", args->jobs, "Worker threads, 1 to 1024 (default: all cores)")->check(whole_number(1, 1024));
  command->add_flag("--force", args->force, "Run even when the estimated memory exceeds the available memory");
  command->add_flag("--resume", args->resume, "Skip points whose folder already holds results for the same resolved scenario");
  command->add_option("--filter", args->filter, "Only runs whose name contains PATTERN (a glob when it has * ? [)")
      ->type_name("PATTERN");
  command->callback([args] { run(*args); });
}

}  // namespace qlab::cli
