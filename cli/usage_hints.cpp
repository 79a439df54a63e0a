#include "usage_hints.hpp"

#include <string_view>
#include <vector>

#include "workloads/did_you_mean.hpp"

namespace qlab::cli {
namespace {

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string best = workloads::closest_match(word, candidates);
  if (!best.empty()) return " (did you mean '" + best + "'?)";
  return " (expected one of " + workloads::join(candidates) + ")";
}

std::vector<std::string> subcommand_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

std::vector<std::string> long_flags(CLI::App& command) {
  std::vector<std::string> flags;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) flags.push_back("--" + name);
  }
  return flags;
}

}  // namespace

std::string usage_hint(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return "";
  const std::string first = argv[1];
  if (first.starts_with("-")) return "";  // --help, --version: CLI11 reports those itself
  CLI::App* command = nullptr;
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->check_name(first)) command = sub;
  }
  if (command == nullptr) return "unknown command '" + first + "'" + suggestion(first, subcommand_names(app));
  for (int i = 2; i < argc; ++i) {
    const std::string_view token = argv[i];
    if (token == "--") break;  // the rest are positional
    if (!token.starts_with("--") || token.size() == 2) continue;
    const std::string name(token.substr(0, token.find('=')));
    if (command->get_option_no_throw(name) != nullptr) continue;
    if (!command->get_subcommands({}).empty()) return "";  // nested subcommands: their flags are theirs
    return first + ": unknown flag '" + name + "'" + suggestion(name, long_flags(*command));
  }
  return "";
}

}  // namespace qlab::cli
