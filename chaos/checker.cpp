#include "chaos/checker.hpp"

#include <algorithm>
#include <chrono>

#include <yaml-cpp/yaml.h>

#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::chaos {

CheckSummary run_checker(const CheckerOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  const auto more = [&](const CheckSummary& s) {
    if (options.cases > 0 && s.cases >= options.cases) return false;
    if (options.seconds > 0 && elapsed() >= options.seconds) return false;
    return s.failures.size() < std::max<std::size_t>(1, options.max_failures);
  };
  CheckSummary summary;
  // Batches of a few cases per job keep every core busy while the time limit stays responsive.
  const std::uint64_t batch_size = 4 * std::max(1u, options.limits.jobs);
  while (more(summary)) {
    std::uint64_t batch = batch_size;
    if (options.cases > 0) batch = std::min(batch, options.cases - summary.cases);
    std::vector<nlohmann::ordered_json> docs;
    for (std::uint64_t k = 0; k < batch; ++k) docs.push_back(generate_case(options.seed + summary.cases + k, options.generator));
    const std::vector<CaseVerdict> verdicts = run_cases(docs, options.body, options.limits);
    std::vector<std::size_t> failed;
    for (std::size_t k = 0; k < verdicts.size(); ++k) {
      DesignTally& tally = summary.by_design[docs[k]["queue"]["design"].get<std::string>()];
      ++tally.cases;
      summary.published += verdicts[k].published;
      summary.events += verdicts[k].events;
      if (verdicts[k].failed()) {
        ++tally.failures;
        failed.push_back(k);
      }
    }
    const std::uint64_t first_seed = options.seed + summary.cases;
    summary.cases += batch;
    summary.wall_seconds = elapsed();
    if (options.on_progress) options.on_progress(summary);
    for (std::size_t k : failed) {
      if (summary.failures.size() >= std::max<std::size_t>(1, options.max_failures)) break;
      CheckFailure failure{first_seed + k, docs[k], verdicts[k], {docs[k], verdicts[k], 0, 0}};
      if (options.shrink) {
        failure.shrunk = shrink(docs[k], verdicts[k], options.body, options.limits, options.max_shrink_attempts);
      }
      summary.failures.push_back(std::move(failure));
    }
  }
  summary.wall_seconds = std::max(summary.wall_seconds, 0.0);
  return summary;
}

namespace {

// Blocks for the scenario's sections, one flow line for each group, fault and distribution.
void set_styles(YAML::Node node, int depth) {
  if (!node.IsMap() && !node.IsSequence()) return;
  node.SetStyle(depth < 2 ? YAML::EmitterStyle::Block : YAML::EmitterStyle::Flow);
  if (node.IsMap()) {
    for (auto entry : node) set_styles(entry.second, depth + 1);
  } else {
    for (auto item : node) set_styles(item, depth + 1);
  }
}

}  // namespace

std::string case_yaml(const nlohmann::ordered_json& doc) {
  nlohmann::ordered_json resolved = doc;
  try {
    resolved = workloads::scenario_to_json(workloads::load_scenario_text(doc.dump(), "check case"));
  } catch (const std::exception&) {
    // Printed as generated: the loader's message is in the verdict.
  }
  YAML::Node node = YAML::Load(resolved.dump());
  set_styles(node, 0);
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

}  // namespace qlab::chaos
