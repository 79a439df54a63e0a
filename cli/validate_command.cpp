// qlab validate: checks scenario and suite files without running them. A file with a top-level `runs` list is
// a suite (bench/README.md): loading it loads the scenario of every point, so every point is validated.
#include <cstdio>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bench/suite.hpp"
#include "commands.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::cli {
namespace {

// Whether `file` looks like a suite; a file that does not parse is left to the scenario loader to report.
bool is_suite_file(const std::string& file) {
  try {
    const YAML::Node root = YAML::LoadFile(file);
    return root.IsMap() && root["runs"].IsDefined();
  } catch (const YAML::Exception&) {
    return false;
  }
}

void validate(const std::string& file) {
  if (is_suite_file(file)) {
    const bench::Suite suite = bench::load_suite_file(file);
    std::printf("%s: ok (suite %s: %zu runs, %zu points, %zu repetitions)\n", file.c_str(), suite.name.c_str(),
                suite.runs.size(), suite.point_count(), suite.task_count());
    return;
  }
  const Scenario scenario = workloads::load_scenario_file(file);
  std::printf("%s: ok (scenario %s, design %s)\n", file.c_str(), scenario.name.c_str(), scenario.queue.design.c_str());
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto* command = app.add_subcommand("validate", "Check scenario and suite files (every point of a suite) without running them");
  auto files = std::make_shared<std::vector<std::string>>();
  command->add_option("files", *files, "Scenario or suite YAML files")->required();
  command->callback([files] {
    int failures = 0;
    for (const std::string& file : *files) {
      try {
        validate(file);
      } catch (const workloads::ScenarioError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        ++failures;
      }
    }
    if (failures > 0) throw ExitCode{2};
  });
}

}  // namespace qlab::cli
