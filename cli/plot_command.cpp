// qlab plot DIR [--metrics KEYS] [--x PATH]: runs analysis/plot.py with a Python interpreter that has matplotlib.
// The figures are drawn by the Python scripts, which read the results files and check the options; this command
// only finds the scripts and a Python.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"

extern char** environ;

namespace qlab::cli {
namespace {

namespace fs = std::filesystem;

struct PlotArguments {
  std::string dir;
  std::string python;
  std::string metrics;  // comma-separated metric keys, passed on to plot.py
  std::string x;        // a swept path, passed on to plot.py
};

// Runs argv and waits; returns its exit code, or nullopt when it could not be started or was killed.
// quiet sends its stdout and stderr to /dev/null.
std::optional<int> run_process(const std::vector<std::string>& argv, bool quiet) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return std::nullopt;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  if (!WIFEXITED(status)) return std::nullopt;
  return WEXITSTATUS(status);
}

bool has_matplotlib(const std::string& python) {
  const auto code = run_process({python, "-c", "import matplotlib"}, true);
  return code && *code == 0;
}

// The interpreters to try: only --python when it is given (an explicit choice is not second-guessed),
// else $QLAB_PYTHON, Debian's /usr/bin/python3 (where apt's python3-matplotlib goes), then python3 on PATH.
std::vector<std::string> candidate_pythons(const std::string& flag) {
  if (!flag.empty()) return {flag};
  std::vector<std::string> out;
  auto add = [&out](const std::string& p) {
    if (p.empty()) return;
    for (const std::string& q : out) {
      if (q == p) return;
    }
    out.push_back(p);
  };
  if (const char* env = std::getenv("QLAB_PYTHON")) add(env);
  add("/usr/bin/python3");
  add("python3");
  return out;
}

// The folder of plot.py: $QLAB_ANALYSIS_DIR, else the source tree's analysis/ this binary was built from.
fs::path analysis_dir() {
  if (const char* env = std::getenv("QLAB_ANALYSIS_DIR"); env != nullptr && *env != '\0') return env;
#ifdef QLAB_ANALYSIS_DIR
  return QLAB_ANALYSIS_DIR;
#else
  return "analysis";
#endif
}

bool holds_results(const fs::path& dir) {
  for (const char* name : {"summary.json", "suite.json", "results.csv"}) {
    if (fs::exists(dir / name)) return true;
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it.depth() >= 2) it.disable_recursion_pending();
    if (it->is_regular_file() && it->path().filename() == "summary.json") return true;
  }
  return false;
}

void plot(const PlotArguments& args) {
  const fs::path dir = args.dir;
  if (!fs::is_directory(dir)) fail_command("plot", args.dir + ": no such folder");
  if (!holds_results(dir)) {
    fail_command("plot", args.dir + ": no qlab results here (expected summary.json from `qlab run --out`, or suite.json and "
         "results.csv from `qlab suite --out`)");
  }
  const fs::path script = analysis_dir() / "plot.py";
  if (!fs::exists(script)) {
    fail_command("plot", "cannot find " + script.string() + " (set QLAB_ANALYSIS_DIR to the analysis/ folder of the qlab sources)");
  }

  std::string python;
  std::string tried;
  for (const std::string& candidate : candidate_pythons(args.python)) {
    if (has_matplotlib(candidate)) {
      python = candidate;
      break;
    }
    tried += (tried.empty() ? "" : ", ") + candidate;
  }
  if (python.empty()) {
    fail_command("plot", "no Python with matplotlib found (tried " + tried + ").\n"
         "  Install it with: sudo apt-get install python3-matplotlib\n"
         "  or name an interpreter that has it: qlab plot DIR --python PATH (or set QLAB_PYTHON)");
  }

  std::vector<std::string> command{python, script.string(), args.dir};
  if (!args.metrics.empty()) command.insert(command.end(), {"--metrics", args.metrics});
  if (!args.x.empty()) command.insert(command.end(), {"--x", args.x});
  const auto code = run_process(command, false);
  if (!code) {
    std::fprintf(stderr, "qlab plot: %s %s did not finish\n", python.c_str(), script.string().c_str());
    throw ExitCode{1};
  }
  if (*code != 0) throw ExitCode{*code};
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArguments>();
  auto* command = app.add_subcommand(
      "plot", "Draw PNG and SVG figures and an index.html report of a run or suite folder into DIR/plots/");
  command->add_option("dir", args->dir, "A folder written by `qlab run --out` or `qlab suite --out`")->required();
  command->add_option("--python", args->python,
                      "Python interpreter with matplotlib (default: the first that has it of $QLAB_PYTHON, "
                      "/usr/bin/python3, python3)");
  command->add_option("--metrics", args->metrics,
                      "Metric keys to draw in the sweep and bar figures, comma-separated (e.g. makespan,latency_p99); "
                      "replaces each suite run's plot.metrics");
  command->add_option("--x", args->x, "The swept path on the x axis of every suite run that sweeps it (replaces plot.x)");
  command->callback([args] { plot(*args); });
}

}  // namespace qlab::cli
