// qlab check: the randomized invariant checker (docs/CHECKER.md). Exit 0 when every case passed, 1 with the
// shrunk failing case otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "chaos/checker.hpp"
#include "commands.hpp"
#include "flag_checks.hpp"
#include "queues/design_registry.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::cli {
namespace {

struct CheckArguments {
  std::optional<std::uint64_t> cases;
  std::optional<double> seconds;
  std::optional<std::uint64_t> seed;
  std::string design;
  std::string out;
  std::string replay;
  unsigned jobs = 0;
  bool no_shrink = false;
};

void print_failure(const chaos::CheckFailure& failure, const CheckArguments& args, bool replay) {
  const std::string design = failure.original["queue"]["design"].get<std::string>();
  std::printf("\nFAILED: %s (design %s): %s\n%s", replay ? args.replay.c_str() : ("case seed " + std::to_string(failure.seed)).c_str(),
              design.c_str(), failure.verdict.signature().c_str(), failure.verdict.describe().c_str());
  const chaos::ShrinkResult& shrunk = failure.shrunk;
  if (!args.no_shrink) {
    std::printf("shrunk in %zu attempts (%zu steps kept) to %zu fault%s:\n%s", shrunk.attempts, shrunk.steps,
                shrunk.scenario["faults"].size(), shrunk.scenario["faults"].size() == 1 ? "" : "s",
                shrunk.verdict.describe().c_str());
  }
  const std::string yaml = chaos::case_yaml(shrunk.scenario);
  std::printf("--- smallest failing scenario (qlab check --replay FILE; qlab run FILE --trace) ---\n%s---\n", yaml.c_str());
  if (!replay) {
    std::printf("reproduce: qlab check --seed %llu --cases 1%s%s\n", static_cast<unsigned long long>(failure.seed),
                args.design.empty() ? "" : " --design ", args.design.c_str());
  }
  if (!args.out.empty()) {
    std::ofstream file(args.out);
    file << "# qlab check: " << failure.verdict.signature() << " (case seed " << failure.seed << ", shrunk)\n";
    for (const chaos::Violation& v : shrunk.verdict.violations) file << "# " << v.invariant << ": " << v.detail << "\n";
    if (!shrunk.verdict.message.empty()) file << "# " << shrunk.verdict.message.substr(0, 500) << "\n";
    file << yaml;
    std::printf("written to %s\n", args.out.c_str());
  }
}

void print_summary(const chaos::CheckSummary& summary, std::uint64_t seed) {
  const double rate = summary.wall_seconds > 0 ? static_cast<double>(summary.cases) / summary.wall_seconds : 0;
  std::printf("qlab check: seed %llu, %llu cases in %.1fs (%.0f cases/s), %.2fM messages, %.1fM events\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(summary.cases), summary.wall_seconds,
              rate, static_cast<double>(summary.published) / 1e6, static_cast<double>(summary.events) / 1e6);
  std::printf("  %-20s %8s %9s\n", "design", "cases", "failures");
  for (const auto& [design, tally] : summary.by_design) {
    std::printf("  %-20s %8llu %9llu\n", design.c_str(), static_cast<unsigned long long>(tally.cases),
                static_cast<unsigned long long>(tally.failures));
  }
}

void check(const CheckArguments& args) {
  if (!args.design.empty() && find_design(args.design) == nullptr) {
    throw workloads::ScenarioError("--design: unknown design '" + args.design + "' (see qlab designs)");
  }
  chaos::CheckerOptions options;
  options.seed = args.seed.value_or(static_cast<std::uint64_t>(
      std::chrono::system_clock::now().time_since_epoch().count() / 1000 % 1000000000));
  options.seconds = args.seconds.value_or(0);
  options.cases = args.cases.value_or(args.seconds ? 0 : 1000);
  options.generator.design = args.design;
  options.limits.jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  options.shrink = !args.no_shrink;

  if (!args.replay.empty()) {
    const auto doc = workloads::scenario_to_json(workloads::load_scenario_file(args.replay));
    const chaos::CaseVerdict verdict = chaos::run_cases({doc}, options.body, options.limits).front();
    if (!verdict.failed()) {
      std::printf("qlab check: %s passed every invariant of design %s\n", args.replay.c_str(),
                  doc["queue"]["design"].get<std::string>().c_str());
      return;
    }
    chaos::CheckFailure failure{0, doc, verdict, {doc, verdict, 0, 0}};
    if (options.shrink) failure.shrunk = chaos::shrink(doc, verdict, options.body, options.limits);
    print_failure(failure, args, true);
    throw ExitCode{1};
  }

  const bool terminal = isatty(STDERR_FILENO) != 0;
  double last_report = 0;
  options.on_progress = [&](const chaos::CheckSummary& s) {
    if (s.wall_seconds - last_report < 1.0) return;
    last_report = s.wall_seconds;
    std::uint64_t failures = 0;
    for (const auto& [design, tally] : s.by_design) failures += tally.failures;
    std::fprintf(stderr, "%sqlab check: %llu cases, %llu failing, %.0f cases/s%s", terminal ? "\r\033[K" : "",
                 static_cast<unsigned long long>(s.cases), static_cast<unsigned long long>(failures),
                 static_cast<double>(s.cases) / s.wall_seconds, terminal ? "" : "\n");
  };
  const chaos::CheckSummary summary = chaos::run_checker(options);
  if (terminal && last_report > 0) std::fprintf(stderr, "\n");
  print_summary(summary, options.seed);
  for (const chaos::CheckFailure& failure : summary.failures) print_failure(failure, args, false);
  if (!summary.failures.empty()) throw ExitCode{1};
}

}  // namespace

void add_check_command(CLI::App& app) {
  auto args = std::make_shared<CheckArguments>();
  auto* command = app.add_subcommand(
      "check", "Randomized invariant checking: random scenarios and fault schedules, every design's promises checked");
  command->add_option("--cases", args->cases, "Number of cases (default 1000, or unlimited with --seconds)")
      ->check(whole_number(1, std::uint64_t{1} << 40));
  command->add_option("--seconds", args->seconds, "Run for this long (wall time)")->check(positive_seconds(1e7));
  command->add_option("--seed", args->seed, "Seed of the first case; case k uses seed + k (default: from the clock)")
      ->check(seed_number());
  command->add_option("--design", args->design, "Generate only this design (default: every registered design)");
  command->add_option("--out,-o", args->out, "Write the shrunk failing scenario (YAML) to this file");
  command->add_option("--replay", args->replay, "Check this scenario file instead of generated cases");
  command->add_option("--jobs,-j,--threads", args->jobs, "Cases run at once, 1 to 1024 (default: one per core)")->check(whole_number(1, 1024));
  command->add_flag("--no-shrink", args->no_shrink, "Report a failing case as generated, without shrinking it");
  command->callback([args] { check(*args); });
}

}  // namespace qlab::cli
