#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::cli {

void add_validate_command(CLI::App& app) {
  auto* command = app.add_subcommand("validate", "Check scenario files without running them");
  auto files = std::make_shared<std::vector<std::string>>();
  command->add_option("files", *files, "Scenario YAML files")->required();
  command->callback([files] {
    int failures = 0;
    for (const std::string& file : *files) {
      try {
        const Scenario scenario = workloads::load_scenario_file(file);
        std::printf("%s: ok (scenario %s, design %s)\n", file.c_str(), scenario.name.c_str(),
                    scenario.queue.design.c_str());
      } catch (const workloads::ScenarioError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        ++failures;
      }
    }
    if (failures > 0) throw ExitCode{2};
  });
}

}  // namespace qlab::cli
