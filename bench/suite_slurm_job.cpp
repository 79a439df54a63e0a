#include "bench/suite_slurm_job.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>

#include "metrics/results_writer.hpp"
#include "workloads/scenario_error.hpp"

extern char** environ;

namespace qlab::bench {
namespace {

// `text` as one shell word.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The #SBATCH --output pattern for the task logs: shard-%a.log in `folder`, whose own % are doubled (sbatch
// expands %a, %j, ...); quoted when it has blanks.
std::string log_pattern(const std::filesystem::path& folder) {
  std::string escaped;
  for (const char c : folder.string()) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  escaped += "/shard-%a.log";
  return escaped.find_first_of(" \t") == std::string::npos ? escaped : "\"" + escaped + "\"";
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error(std::string("sbatch: waitpid failed: ") + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::filesystem::path slurm_folder(const std::filesystem::path& out) { return out / "slurm"; }

std::filesystem::path shard_log(const std::filesystem::path& out, unsigned shard) {
  return slurm_folder(out) / ("shard-" + std::to_string(shard) + ".log");
}

std::filesystem::path shard_exit_file(const std::filesystem::path& out, unsigned shard) {
  return slurm_folder(out) / ("shard-" + std::to_string(shard) + ".exit");
}

std::string random_token() {
  std::random_device device;
  char text[33];
  for (int i = 0; i < 16; ++i) std::snprintf(text + 2 * i, 3, "%02x", static_cast<unsigned>(device() & 0xff));
  return text;
}

void prepare_slurm_folder(const std::filesystem::path& out, const std::string& token) {
  const std::filesystem::path folder = slurm_folder(out);
  std::filesystem::create_directories(folder);
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("shard-") && (name.ends_with(".log") || name.ends_with(".exit"))) std::filesystem::remove(entry.path());
  }
  write_file_atomically(folder / "token", token + "\n");
}

std::string slurm_script(const SlurmJob& job) {
  for (const std::string& option : job.sbatch_options) {
    if (!option.starts_with("-") || option.find('\n') != std::string::npos) {
      throw workloads::ScenarioError("--slurm-option=" + option + ": not an sbatch option (expected one option on one line, e.g. --slurm-option=--time=2:00:00)");
    }
  }
  const std::string n = std::to_string(job.tasks);
  const std::string out = job.out.string();
  std::string merge = shell_quote(job.qlab.string()) + " suite " + shell_quote(job.suite_file.string()) + " --out " + shell_quote(out);
  if (!job.filter.empty()) merge += " --filter " + shell_quote(job.filter);
  std::string shard = merge + " --shard \"$shard/" + n + "\" --jobs ";
  shard += job.jobs == 0 ? std::string("\"${SLURM_CPUS_ON_NODE:-1}\"") : std::to_string(job.jobs);
  if (job.resume) shard += " --resume";

  std::string script = "#!/bin/sh\n";
  script += "# Written by `qlab suite --slurm`: one array task per shard of the suite. Submit it with sbatch; when every\n";
  script += "# task is done, write the suite's results with:\n#   " + merge + " --merge\n";
  script += "#SBATCH --job-name=" + job.name + "\n";
  script += "#SBATCH --array=1-" + n + "\n";
  script += "#SBATCH --output=" + log_pattern(slurm_folder(job.out)) + "\n";
  for (const std::string& option : job.sbatch_options) script += "#SBATCH " + option + "\n";
  script += "out=" + shell_quote(out) + "\n";
  script += "shard=\"$SLURM_ARRAY_TASK_ID\"\n";
  script += "# The output folder must be the one prepared on the submitting host, on a filesystem every node shares.\n";
  script += "if [ \"$(cat \"$out/slurm/token\" 2>/dev/null)\" != " + shell_quote(job.token) + " ]; then\n";
  script += "  echo \"qlab: shard $shard/" + n + " on $(uname -n): $out is not the output folder prepared by qlab suite --slurm" +
            " (it must be on a filesystem every node shares)\" >&2\n";
  script += "  exit 3\nfi\n";
  script += shard + "\n";
  script += "status=$?\n";
  script += "echo \"$status\" > \"$out/slurm/shard-$shard.exit.partial\" && mv -f \"$out/slurm/shard-$shard.exit.partial\" \"$out/slurm/shard-$shard.exit\"\n";
  script += "exit \"$status\"\n";
  return script;
}

SbatchOutcome submit_and_wait(const std::filesystem::path& script, const std::atomic<bool>* stop,
                              const std::function<bool(const std::string& job_id)>& on_poll) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("sbatch: pipe failed: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const std::string path = script.string();
  char* argv[] = {const_cast<char*>("sbatch"), const_cast<char*>("--wait"), const_cast<char*>("--parsable"),
                  const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "sbatch", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    throw std::runtime_error(std::string("cannot start sbatch (") + std::strerror(spawned) +
                             "): is Slurm's client on PATH? (Debian: slurm-client) Or write the script with --slurm-script FILE");
  }

  SbatchOutcome outcome;
  std::string printed;  // sbatch --parsable prints "JOBID" or "JOBID;CLUSTER" once submitted
  auto next_poll = std::chrono::steady_clock::now();
  for (bool open = true; open;) {
    if (stop != nullptr && stop->load()) {
      ::kill(pid, SIGINT);
      outcome.stopped = true;
      break;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_poll) {
      if (on_poll(outcome.job_id)) {
        ::kill(pid, SIGTERM);  // sbatch ends; the job (whose tasks have all finished) is left alone
        outcome.finished = true;
        break;
      }
      next_poll = now + std::chrono::seconds(1);
    }
    pollfd p{fds[0], POLLIN, 0};
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - now).count();
    if (::poll(&p, 1, static_cast<int>(wait)) <= 0) continue;  // timeout or EINTR
    char buffer[256];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;
      continue;
    }
    printed.append(buffer, static_cast<std::size_t>(n));
    if (const std::size_t end = printed.find_first_of(";\n"); end != std::string::npos) outcome.job_id = printed.substr(0, end);
  }
  ::close(fds[0]);
  outcome.status = wait_for(pid);
  return outcome;
}

}  // namespace qlab::bench
