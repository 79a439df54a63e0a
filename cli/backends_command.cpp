#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "live/backends/backend_registry.hpp"
#include "live/backends/server_node.hpp"

namespace qlab::cli {

void add_backends_command(CLI::App& app) {
  auto* command = app.add_subcommand("backends", "List the live back ends: server binary, version, supported features");
  auto json = std::make_shared<bool>(false);
  command->add_flag("--json", *json, "one JSON array instead of text");
  command->callback([json] {
    nlohmann::json list = nlohmann::json::array();
    for (const live::Backend& b : live::backends()) {
      // qlab's broker is this executable.
      const std::string binary = b.name == "qlab" ? std::filesystem::read_symlink("/proc/self/exe").string()
                                                  : live::find_executable(b.server_binary);
      const std::string version = binary.empty() ? "" : b.make_launcher()->version();
      list.push_back({{"name", b.name}, {"server_binary", b.server_binary}, {"found", binary}, {"version", version},
                      {"features", b.features}});
      if (*json) continue;
      std::printf("%s\n  server   %s\n  version  %s\n  supports %s\n\n", b.name.c_str(),
                  binary.empty() ? (b.server_binary + " not found").c_str() : binary.c_str(),
                  version.empty() ? "-" : version.c_str(), b.features.c_str());
    }
    if (*json) std::printf("%s\n", list.dump(2).c_str());
  });
}

}  // namespace qlab::cli
