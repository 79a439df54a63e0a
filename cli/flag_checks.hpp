#pragma once
// Validators that read a flag's text exactly. CLI11's own conversions let `--seed -1` wrap to 2^64-1 and
// print an out-of-range double in full; these refuse such text with what was expected, as a usage error
// (exit code 2), before any conversion.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace qlab::cli {

// A whole number written in decimal digits, from `min` to `max`.
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max);
// A seed: a whole number from 0 to 2^64-1.
CLI::Validator seed_number();
// A finite number of seconds above zero and at most `max`.
CLI::Validator positive_seconds(double max);

// Refuses an output path that cannot be created (its nearest existing ancestor is not a writable folder,
// or the path itself exists and is not a folder when `folder`), as ScenarioError `FLAG PATH: why`.
void check_output_path(const std::string& path, const std::string& flag, bool folder);

}  // namespace qlab::cli
