#include "commands.hpp"

namespace qlab::cli {

// Placeholder until this command lands; registers nothing.
void add_plot_command(CLI::App&) {}

}  // namespace qlab::cli
