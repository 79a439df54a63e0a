#pragma once
// Bad scenario input: what() is the whole message, `PLACE: KEY.PATH: what is wrong (what was expected)`,
// where PLACE is FILE:LINE:COLUMN, or `--set PATH=VALUE` for a value that came from an override.
// The CLI catches it once, prints it and exits with code 2.
#include <stdexcept>

namespace qlab::workloads {

struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace qlab::workloads
