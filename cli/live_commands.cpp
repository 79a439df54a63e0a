#include "commands.hpp"

namespace qlab::cli {

// Placeholder until this command lands; registers nothing.
void add_live_commands(CLI::App&) {}

}  // namespace qlab::cli
