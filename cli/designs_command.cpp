#include <cstdio>
#include <string>
#include <variant>

#include "commands.hpp"
#include "core/units.hpp"
#include "queues/design_registry.hpp"

namespace qlab::cli {
namespace {

std::string describe_default(const ParamSpec& spec) {
  if (const auto* number = std::get_if<std::int64_t>(&spec.default_value)) {
    return spec.type == ParamSpec::Type::duration ? format_duration(*number) : std::to_string(*number);
  }
  if (const auto* flag = std::get_if<bool>(&spec.default_value)) return *flag ? "true" : "false";
  return std::get<std::string>(spec.default_value);
}

std::string describe_type(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamSpec::Type::duration: return "duration";
    case ParamSpec::Type::count: return "count";
    case ParamSpec::Type::flag: return "true|false";
    case ParamSpec::Type::choice: {
      std::string text;
      for (const std::string& choice : spec.choices) text += (text.empty() ? "" : "|") + choice;
      return text;
    }
  }
  return "";
}

}  // namespace

void add_designs_command(CLI::App& app) {
  auto* command = app.add_subcommand("designs", "List the queue designs with their parameters and defaults");
  command->callback([] {
    for (const DesignInfo& design : designs()) {
      std::printf("%s%s\n  %s\n", design.name.c_str(),
                  design.keeps_until_ack ? "  (at-least-once: kept until acked)" : "  (at-most-once: delivery hands over)",
                  design.summary.c_str());
      for (const ParamSpec& p : design.params) {
        std::printf("    queue.%-24s %-20s default %-10s %s\n", p.name.c_str(), describe_type(p).c_str(),
                    describe_default(p).c_str(), p.doc.c_str());
      }
      std::printf("\n");
    }
  });
}

}  // namespace qlab::cli
