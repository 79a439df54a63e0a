// qlab suite: runs a benchmark suite (docs: bench/README.md), here or as shards on other machines (docs:
// docs/SCALE.md): --shard I/N runs one shard, --merge writes the suite-level files once every point is
// complete, --slurm runs the shards as a Slurm job array and merges. Everything is validated before anything
// runs; Ctrl-C stops dispatching, lets the running repetitions finish and leaves only complete point folders.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include <thread>

#include "bench/suite.hpp"
#include "bench/suite_estimate.hpp"
#include "bench/suite_reports.hpp"
#include "bench/suite_runner.hpp"
#include "bench/suite_shard.hpp"
#include "bench/suite_slurm_job.hpp"
#include "bench/suite_slurm_progress.hpp"
#include "metrics/results_writer.hpp"
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

// Array tasks --slurm submits when --slurm-tasks is not given (at most one per point).
constexpr unsigned kDefaultSlurmTasks = 100;
// Missing points --merge lists by name; the rest are counted.
constexpr std::size_t kMissingListed = 20;

struct SuiteArguments {
  std::string suite;
  std::string out;
  unsigned jobs = 0;
  bool resume = false;
  std::string filter;
  std::string shard;
  bool merge = false;
  bool slurm = false;
  unsigned slurm_tasks = 0;
  std::vector<std::string> slurm_options;
  std::string slurm_script;
  bool force = false;
  bool dry_run = false;
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

// "tiny/001 pull (queue.design=pull, consumers[1].service.mean=40ms)"
std::string point_label(const bench::SuitePoint& point) {
  std::string label = point.run + "/" + point.id + " " + point.design;
  for (std::size_t i = 0; i < point.params.size(); ++i) {
    label += (i == 0 ? " (" : ", ") + point.params[i].path + "=" + point.params[i].value;
  }
  return point.params.empty() ? label : label + ")";
}

unsigned threads_of(const SuiteArguments& args) {
  return args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
}

// Points run one after another, their repetitions `jobs` at a time: the largest point decides.
void check_suite_memory(const bench::Suite& suite, const SuiteArguments& args) {
  const unsigned jobs = threads_of(args);
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

// "4 s", "3:20 (200 s)": the estimate, rounded as far as an estimate deserves.
std::string estimate_text(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, seconds < 10 ? "%.2g s" : "%.0f s", seconds);
  return seconds < 60 ? std::string(text) : clock_text(seconds) + " (" + text + ")";
}

// Lists every point with its repetitions and estimated time, and the suite's estimated run time; runs nothing.
void dry_run(const bench::Suite& suite, const SuiteArguments& args) {
  const unsigned threads = threads_of(args);
  const bench::SuiteEstimate estimate = bench::estimate_suite(suite, threads);
  std::printf("suite %s: %zu runs, %zu points, %zu repetitions (dry run: nothing is run or written)\n", suite.name.c_str(),
              suite.runs.size(), suite.point_count(), suite.task_count());
  for (const bench::PointEstimate& p : estimate.points) {
    std::printf("  %s  %u reps x %.3g messages, ~%s\n", point_label(*p.point).c_str(), p.point->scenario.repetitions,
                p.messages, estimate_text(p.seconds).c_str());
  }
  std::printf("estimated run time: %s with %u thread%s (%.3g messages in all)\n", estimate_text(estimate.seconds).c_str(),
              threads, threads == 1 ? "" : "s", estimate.messages);
}

void print_results(const std::filesystem::path& out) {
  const bool compared = std::filesystem::exists(out / "comparisons.csv");
  std::printf("results in %s: results.csv,%s suite.json, runs/<run>/<scenario hash>/\n", out.string().c_str(),
              compared ? " comparisons.csv," : "");
}

// The `qlab suite` command line that names this suite and output folder, for the hints printed.
std::string suite_command_line(const SuiteArguments& args, const std::filesystem::path& out) {
  std::string line = "qlab suite " + args.suite + " --out " + out.string();
  return args.filter.empty() ? line : line + " --filter '" + args.filter + "'";
}

// Writes the suite-level files when every point is complete in `out`; otherwise lists the missing points.
void merge(const bench::Suite& suite, const std::filesystem::path& out, const std::string& command) {
  const std::vector<const bench::SuitePoint*> missing = bench::missing_points(suite, out);
  if (!missing.empty()) {
    bench::remove_suite_reports(out);
    std::printf("%zu of %zu points are missing in %s:\n", missing.size(), suite.point_count(), out.string().c_str());
    for (std::size_t i = 0; i < std::min(missing.size(), kMissingListed); ++i) {
      std::printf("  %s  %s\n", missing[i]->folder().c_str(), point_label(*missing[i]).c_str());
    }
    if (missing.size() > kMissingListed) std::printf("  ... and %zu more\n", missing.size() - kMissingListed);
    std::printf("run their shards again (or `%s --resume`), then --merge\n", command.c_str());
    throw ExitCode{1};
  }
  bench::write_suite_reports(suite, out);
  std::printf("merged %zu points\n", suite.point_count());
  print_results(out);
}

// Runs the whole suite, or one shard of it, on this machine.
void run_here(const bench::Suite& suite, const std::filesystem::path& out, const SuiteArguments& args) {
  const auto start = std::chrono::steady_clock::now();
  const ProgressBar bar(start);
  const bool terminal = isatty(STDERR_FILENO) != 0;
  bench::SuiteOptions options;
  options.out = out;
  options.jobs = args.jobs;
  options.resume = args.resume;
  if (!args.shard.empty()) options.shard = bench::parse_shard(args.shard, "--shard");
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

  const std::string shard = options.shard ? "shard " + options.shard->text() + " of " : "";
  std::printf("%ssuite %s: %zu runs, %zu points, %zu repetitions -> %s\n", shard.c_str(), suite.name.c_str(),
              suite.runs.size(), suite.point_count(), suite.task_count(), out.string().c_str());
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
  if (options.shard) {
    std::printf("shard %s done; when every shard is, write the suite's results with --merge\n", options.shard->text().c_str());
  } else {
    print_results(out);
  }
}

std::string counts_text(const std::string& job_id, const bench::ArrayCounts& c, double seconds) {
  std::string text = "slurm job " + (job_id.empty() ? std::string("?") : job_id) + ": shards " +
                     std::to_string(c.shards_pending) + " pending, " + std::to_string(c.shards_running) + " running, " +
                     std::to_string(c.shards_done) + " done";
  if (c.shards_failed > 0) text += ", " + std::to_string(c.shards_failed) + " failed";
  text += "; points " + std::to_string(c.points_pending) + " pending, " + std::to_string(c.points_running) +
          " running, " + std::to_string(c.points_done) + " done";
  if (c.points_failed > 0) text += ", " + std::to_string(c.points_failed) + " failed";
  return text + ", " + clock_text(seconds) + " elapsed";
}

// A failed shard: its exit status (or why it has none), its missing points, its log and the log's last lines.
void report_failure(const bench::ShardFailure& failure, const bench::SlurmJob& job, const std::string& job_id) {
  const std::string how = failure.status ? "exit status " + std::to_string(*failure.status)
                                         : "no exit status: killed, cancelled, out of time, or " + job.out.string() +
                                               " is not shared with its node";
  std::printf("shard %u/%u of job %s failed (%s); points missing: %zu; its log: %s\n", failure.shard, job.tasks,
              job_id.c_str(), how.c_str(), failure.points_missing, failure.log.string().c_str());
  std::istringstream tail(bench::tail_of(failure.log, 5));
  for (std::string line; std::getline(tail, line);) std::printf("  | %s\n", line.c_str());
}

// The job array for the suite, its script written (to --slurm-script FILE or DIR/slurm/job.sh) and the
// output folder prepared for it. Nothing is written when an sbatch option is malformed.
std::pair<bench::SlurmJob, std::filesystem::path> write_slurm_job(const bench::Suite& suite, const std::filesystem::path& out,
                                                                  const SuiteArguments& args) {
  bench::SlurmJob job;
  job.qlab = std::filesystem::read_symlink("/proc/self/exe");
  job.suite_file = std::filesystem::absolute(args.suite);
  job.out = std::filesystem::absolute(out);
  job.name = "qlab-" + suite.name;
  const unsigned tasks = args.slurm_tasks != 0 ? args.slurm_tasks : kDefaultSlurmTasks;
  job.tasks = static_cast<unsigned>(std::min<std::size_t>(tasks, suite.point_count()));  // no shard without a point
  job.sbatch_options = args.slurm_options;
  job.filter = args.filter;
  job.resume = args.resume;
  job.jobs = args.jobs;
  job.token = bench::random_token();
  const std::string script = bench::slurm_script(job);  // checks the options before anything is written

  std::filesystem::create_directories(job.out);
  bench::remove_suite_reports(job.out);
  bench::prepare_slurm_folder(job.out, job.token);
  const std::filesystem::path script_file = args.slurm_script.empty() ? bench::slurm_folder(job.out) / "job.sh"
                                                                      : std::filesystem::path(args.slurm_script);
  write_file_atomically(script_file, script);
  std::filesystem::permissions(script_file, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec |
                                                std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add);
  return {job, script_file};
}

// Writes the job array's script; with --slurm submits it, shows its progress from the output folder until
// every task has finished, names the shards that failed, and merges.
void run_on_slurm(const bench::Suite& suite, const std::filesystem::path& out, const SuiteArguments& args) {
  const auto written = write_slurm_job(suite, out, args);  // no structured binding: lambdas below capture it
  const bench::SlurmJob& job = written.first;
  const std::filesystem::path& script_file = written.second;
  const std::string merge_command = suite_command_line(args, out);
  std::printf("suite %s: %zu points in a job array of %u tasks (script %s); %s must be on a filesystem every node shares\n",
              suite.name.c_str(), suite.point_count(), job.tasks, script_file.string().c_str(), job.out.string().c_str());
  if (!args.slurm) {
    std::printf("submit it with: sbatch %s\nwhen every task is done: %s --merge\n", script_file.string().c_str(),
                merge_command.c_str());
    return;
  }
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  const bool terminal = isatty(STDERR_FILENO) != 0;
  bench::SuiteSlurmProgress progress(suite, job.out, job.tasks);
  std::string shown;
  const auto show = [&](const std::string& job_id, const bench::ArrayCounts& counts) {
    const std::string text = counts_text(job_id, counts, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (terminal) {
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
    } else if (text.substr(0, text.rfind(',')) != shown.substr(0, shown.rfind(','))) {  // changed, the clock aside
      std::fprintf(stderr, "qlab: %s\n", text.c_str());
    }
    std::fflush(stderr);
    shown = text;
  };
  interrupted = false;
  const auto previous = std::signal(SIGINT, on_sigint);
  const bench::SbatchOutcome sbatch =
      bench::submit_and_wait(script_file, &interrupted, [&](const std::string& job_id) {
        const bench::ArrayCounts counts = progress.read();
        show(job_id, counts);
        return !job_id.empty() && counts.shards_done + counts.shards_failed == job.tasks;
      });
  std::signal(SIGINT, previous);
  if (sbatch.job_id.empty()) {
    if (terminal) std::fprintf(stderr, "\n");
    throw std::runtime_error("sbatch did not submit the job (exit status " + std::to_string(sbatch.status) + ")");
  }
  show(sbatch.job_id, progress.read(!sbatch.stopped));
  if (terminal) std::fprintf(stderr, "\n");
  if (sbatch.stopped) {
    std::printf("interrupted: sbatch cancels job %s when interrupted (check with squeue -j %s); complete points are kept, "
                "--slurm --resume runs the rest\n", sbatch.job_id.c_str(), sbatch.job_id.c_str());
    throw ExitCode{130};
  }

  const std::vector<bench::ShardFailure> failures = progress.failures();
  for (const bench::ShardFailure& failure : failures) report_failure(failure, job, sbatch.job_id);
  if (!failures.empty()) {
    std::printf("rerun the failed shards (%s --shard I/%u), or --slurm again with --resume, then --merge\n",
                merge_command.c_str(), job.tasks);
    throw ExitCode{1};
  }
  merge(suite, job.out, merge_command);
}

void run(const SuiteArguments& args) {
  const bool on_slurm = args.slurm || !args.slurm_script.empty();
  if (!on_slurm && (args.slurm_tasks != 0 || !args.slurm_options.empty())) {
    throw workloads::ScenarioError("--slurm-tasks and --slurm-option go with --slurm or --slurm-script");
  }
  bench::Suite suite = bench::load_suite_file(args.suite);
  if (!args.filter.empty() && bench::filter_runs(suite, args.filter) == 0) {
    throw workloads::ScenarioError("--filter " + args.filter + ": no run name matches (runs are matched by substring, or as a glob with * ? [])");
  }
  if (args.dry_run) {
    dry_run(suite, args);
    return;
  }
  const std::filesystem::path out = args.out.empty() ? std::filesystem::path("results") / suite.name : std::filesystem::path(args.out);
  check_output_path(out.string(), "--out", true);
  if (!args.merge) check_suite_memory(suite, args);
  if (args.merge) {
    merge(suite, out, suite_command_line(args, out));
  } else if (on_slurm) {
    run_on_slurm(suite, out, args);
  } else {
    run_here(suite, out, args);
  }
}

}  // namespace

void add_suite_command(CLI::App& app) {
  auto args = std::make_shared<SuiteArguments>();
  auto* command = app.add_subcommand("suite", "Run a benchmark suite: every run x sweep point x repetition");
  command->add_option("suite", args->suite, "Suite YAML file (see bench/README.md)")->required();
  command->add_option("--out,-o", args->out, "Output folder (default: results/<suite name>)");
  auto* resume = command->add_flag("--resume", args->resume, "Skip points whose folder already holds results for the same resolved scenario");
  command->add_option("--jobs,-j,--threads", args->jobs, "Worker threads, 1 to 1024 (default: all cores)")->check(whole_number(1, 1024));
  command->add_flag("--force", args->force, "Run even when the estimated memory exceeds the available memory");
  command->add_option("--filter", args->filter, "Only runs whose name contains PATTERN (a glob when it has * ? [)")
      ->type_name("PATTERN");
  auto* shard = command->add_option("--shard", args->shard,
                                    "Run only shard I of N: point k (in suite order) belongs to shard k mod N + 1. No suite-level files")
                    ->type_name("I/N");
  auto* merge = command->add_flag("--merge", args->merge,
                                  "Write results.csv, comparisons.csv and suite.json once every point is complete in --out; else list the missing points, exit 1");
  auto* slurm = command->add_flag("--slurm", args->slurm, "Run the shards as a Slurm job array (sbatch --wait), then merge");
  command->add_option("--slurm-tasks", args->slurm_tasks, "Array tasks, one shard each (default: points, at most 100)")
      ->check(CLI::Range(1u, 1000000u));
  command->add_option("--slurm-option", args->slurm_options, "An sbatch option for the array, e.g. --slurm-option=--time=1:00:00 (repeatable)")
      ->type_name("OPTION")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  auto* script = command->add_option("--slurm-script", args->slurm_script,
                                     "Only write the job array's sbatch script to FILE (submit it yourself, then --merge)")
                     ->type_name("FILE");
  auto* dry = command->add_flag("--dry-run", args->dry_run, "List the points and the estimated run time; run and write nothing");
  dry->excludes(merge)->excludes(slurm)->excludes(script)->excludes(shard);
  merge->excludes(shard)->excludes(slurm)->excludes(script)->excludes(resume);
  shard->excludes(slurm)->excludes(script);
  command->callback([args] { run(*args); });
}

}  // namespace qlab::cli
