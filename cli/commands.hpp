#pragma once
// The subcommands. Each registers itself on the app with its options and a callback that does the work.
#include <string>

#include <CLI/CLI.hpp>

namespace qlab::cli {

// Thrown by a command that has already reported its outcome and wants a given exit code.
struct ExitCode {
  int code;
};

// Reports "qlab COMMAND: MESSAGE" on stderr and ends the command with exit code 2 (bad input).
[[noreturn]] void fail_command(const char* command, const std::string& message);

void add_run_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_designs_command(CLI::App& app);
void add_suite_command(CLI::App& app);    // suite_command.cpp
void add_plot_command(CLI::App& app);     // plot_command.cpp
void add_live_commands(CLI::App& app);    // live_commands.cpp: broker, agent, live
void add_compare_command(CLI::App& app);  // compare_command.cpp: two results folders side by side
void add_check_command(CLI::App& app);    // check_command.cpp: the randomized invariant checker
void add_backends_command(CLI::App& app);  // backends_command.cpp: the live back ends
void add_calibrate_command(CLI::App& app);  // calibrate_command.cpp: the live broker's cost for the simulator
void add_export_command(CLI::App& app);    // export_command.cpp: results as long-format CSV

}  // namespace qlab::cli
