// qlab: one executable, one subcommand per job. Bad input (flags, scenario files) is reported once here
// as a message on stderr and exit code 2; nothing is written in that case.
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "core/version.hpp"
#include "commands.hpp"
#include "usage_hints.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::cli {

void fail_command(const char* command, const std::string& message) {
  std::fprintf(stderr, "qlab %s: %s\n", command, message.c_str());
  throw ExitCode{2};
}

}  // namespace qlab::cli

int main(int argc, char** argv) {
  CLI::App app{"qlab: a testbed for message-queue designs (simulated and live)", "qlab"};
  app.set_version_flag("--version", std::string("qlab ") + qlab::version());
  app.require_subcommand(1);
  qlab::cli::add_run_command(app);
  qlab::cli::add_validate_command(app);
  qlab::cli::add_designs_command(app);
  qlab::cli::add_suite_command(app);
  qlab::cli::add_plot_command(app);
  qlab::cli::add_live_commands(app);
  qlab::cli::add_compare_command(app);
  qlab::cli::add_check_command(app);
  qlab::cli::add_backends_command(app);
  qlab::cli::add_calibrate_command(app);
  qlab::cli::add_export_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (const std::string hint = qlab::cli::usage_hint(app, argc, argv); !hint.empty()) {
      std::fprintf(stderr, "qlab: %s\nRun with --help for more information.\n", hint.c_str());
      return 2;
    }
    app.exit(e);
    return 2;
  } catch (const qlab::workloads::ScenarioError& e) {
    std::fprintf(stderr, "qlab: %s\n", e.what());
    return 2;
  } catch (const qlab::cli::ExitCode& e) {
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qlab: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
