#include "chaos/case_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <stdexcept>

#include "chaos/design_audit.hpp"
#include "core/sanitizers.hpp"
#include "sim/simulation.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::chaos {
namespace {

using Clock = std::chrono::steady_clock;

// Verdict lines are tab-separated; fields never contain tabs or newlines.
std::string field(std::string text) {
  for (char& c : text) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void write_all(int fd, const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child_main(const nlohmann::ordered_json& doc, const CaseBody& body, int verdict_fd, int log_fd,
                             const RunLimits& limits) {
  ::dup2(log_fd, STDERR_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  rlimit memory{};
  // AddressSanitizer reserves terabytes of address space for its shadow memory, so an address-space cap
  // would make every case fail to start; under ASan the cap is left off (the sanitizer build runs the
  // checker for correctness, not for its memory limit).
  if (!kUnderAddressSanitizer && ::getrlimit(RLIMIT_AS, &memory) == 0 && (memory.rlim_max == RLIM_INFINITY || memory.rlim_max > limits.memory_bytes)) {
    memory.rlim_cur = limits.memory_bytes;
    ::setrlimit(RLIMIT_AS, &memory);
  }
  std::string out;
  try {
    const Scenario scenario = workloads::load_scenario_text(doc.dump(), "check case");
    const CaseReport report = body(scenario);
    out += "stat\t" + std::to_string(report.published) + "\t" + std::to_string(report.events) + "\n";
    for (const Violation& v : report.violations) out += "violation\t" + field(v.invariant) + "\t" + field(v.detail) + "\n";
  } catch (const workloads::ScenarioError& e) {
    out += "invalid\t" + field(e.what()) + "\n";
  } catch (const std::exception& e) {
    out += "exception\t" + field(e.what()) + "\n";
  }
  out += "end\n";
  write_all(verdict_fd, out);
  ::_exit(0);
}

struct Child {
  std::size_t index = 0;
  pid_t pid = -1;
  int verdict_fd = -1;
  int log_fd = -1;
  std::string verdict;
  std::string log;
  Clock::time_point started;
  bool killed = false;
};

std::string describe_status(int status, bool killed) {
  if (killed) return "killed after the time limit";
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status)) + " without a verdict";
  return "ended abnormally";
}

CaseVerdict parse_verdict(const Child& child, int status) {
  CaseVerdict verdict;
  bool ended = false;
  std::istringstream lines(child.verdict);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> parts;
    std::size_t from = 0;
    for (std::size_t tab; (tab = line.find('\t', from)) != std::string::npos; from = tab + 1) parts.push_back(line.substr(from, tab - from));
    parts.push_back(line.substr(from));
    if (parts[0] == "end") {
      ended = true;
    } else if (parts[0] == "stat" && parts.size() == 3) {
      verdict.published = std::stoull(parts[1]);
      verdict.events = std::stoull(parts[2]);
    } else if (parts[0] == "violation" && parts.size() == 3) {
      verdict.violations.push_back({parts[1], parts[2]});
    } else if (parts[0] == "invalid" && parts.size() == 2) {
      verdict.outcome = CaseVerdict::Outcome::invalid;
      verdict.message = parts[1];
    } else if (parts[0] == "exception" && parts.size() == 2) {
      verdict.outcome = CaseVerdict::Outcome::crashed;
      verdict.message = "exception: " + parts[1];
    }
  }
  const bool clean = ended && !child.killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!clean) {
    verdict.outcome = CaseVerdict::Outcome::crashed;
    std::string tail = child.log.size() > 2000 ? "..." + child.log.substr(child.log.size() - 2000) : child.log;
    while (!tail.empty() && tail.back() == '\n') tail.pop_back();
    verdict.message = describe_status(status, child.killed) + (tail.empty() ? "" : "; stderr: " + tail);
  } else if (verdict.outcome == CaseVerdict::Outcome::passed && !verdict.violations.empty()) {
    verdict.outcome = CaseVerdict::Outcome::violated;
  }
  return verdict;
}

Child start_child(std::size_t index, const nlohmann::ordered_json& doc, const CaseBody& body, const RunLimits& limits) {
  int verdict_pipe[2];
  int log_pipe[2];
  if (::pipe2(verdict_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(log_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);  // nothing buffered may be written twice
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(verdict_pipe[0]);
    ::close(log_pipe[0]);
    child_main(doc, body, verdict_pipe[1], log_pipe[1], limits);
  }
  ::close(verdict_pipe[1]);
  ::close(log_pipe[1]);
  Child child;
  child.index = index;
  child.pid = pid;
  child.verdict_fd = verdict_pipe[0];
  child.log_fd = log_pipe[0];
  child.started = Clock::now();
  return child;
}

// Reads what is available on `fd` into `into`; closes it and sets it to -1 at end of file.
void drain(int& fd, std::string& into) {
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    into.append(buffer, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

CaseReport simulate_and_check(const Scenario& scenario) {
  sim::SimulationOptions options;
  options.trace = true;
  const RunResult result = sim::simulate(scenario, 0, options);
  CaseReport report;
  report.violations = check_invariants(scenario, result);
  for (Violation& v : audit_design(scenario)) report.violations.push_back(std::move(v));
  report.published = static_cast<std::uint64_t>(result.metric("published").value_or(0));
  report.events = static_cast<std::uint64_t>(result.metric("events").value_or(0));
  return report;
}

std::string CaseVerdict::signature() const {
  switch (outcome) {
    case Outcome::passed: return "passed";
    case Outcome::crashed: {
      // The failed internal check, without its seed (which changes as the scenario shrinks).
      const std::size_t at = message.find("internal check failed: ");
      if (at == std::string::npos) return "crashed";
      return "crashed: " + message.substr(at + 23, message.find("; seed", at) - at - 23);
    }
    case Outcome::invalid: return "invalid";
    case Outcome::violated: return violations.front().invariant;
  }
  return "";
}

std::string CaseVerdict::describe() const {
  std::string text;
  if (!message.empty()) text += std::string(outcome == Outcome::invalid ? "  invalid: " : "  crashed: ") + message + "\n";
  for (const Violation& v : violations) text += "  " + v.invariant + ": " + v.detail + "\n";
  return text;
}

std::vector<CaseVerdict> run_cases(const std::vector<nlohmann::ordered_json>& cases, const CaseBody& body,
                                   const RunLimits& limits) {
  std::vector<CaseVerdict> verdicts(cases.size());
  std::vector<Child> running;
  std::size_t next = 0;
  const unsigned jobs = std::max(1u, limits.jobs);
  const auto limit = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limits.timeout_seconds));
  while (next < cases.size() || !running.empty()) {
    while (next < cases.size() && running.size() < jobs) {
      running.push_back(start_child(next, cases[next], body, limits));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const Child& c : running) {
      if (c.verdict_fd >= 0) fds.push_back({c.verdict_fd, POLLIN, 0});
      if (c.log_fd >= 0) fds.push_back({c.log_fd, POLLIN, 0});
    }
    if (!fds.empty() && ::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    for (auto it = running.begin(); it != running.end();) {
      Child& c = *it;
      for (const pollfd& p : fds) {
        if (p.revents == 0) continue;
        if (p.fd == c.verdict_fd) drain(c.verdict_fd, c.verdict);
        if (p.fd == c.log_fd) drain(c.log_fd, c.log);
      }
      if (!c.killed && Clock::now() - c.started > limit) {
        ::kill(c.pid, SIGKILL);
        c.killed = true;
      }
      if (c.verdict_fd >= 0 || c.log_fd >= 0) {
        ++it;
        continue;
      }
      int status = 0;
      while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
      }
      verdicts[c.index] = parse_verdict(c, status);
      it = running.erase(it);
    }
  }
  return verdicts;
}

}  // namespace qlab::chaos
