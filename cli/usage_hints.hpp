#pragma once
// Did-you-mean for the command line: a misspelt subcommand (`qlab sute`) or flag (`qlab run --rep 3`) is named
// with the closest known one, instead of CLI11's "A subcommand is required" or "arguments were not expected".
#include <string>

#include <CLI/CLI.hpp>

namespace qlab::cli {

// The message for the first unknown subcommand or flag in argv, or "" when every one is known.
std::string usage_hint(CLI::App& app, int argc, char** argv);

}  // namespace qlab::cli
