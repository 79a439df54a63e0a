#pragma once
// Reads the CSV file of `arrival: trace`: a header naming the columns (`time`, and optionally `key` and
// `size`, in any order), then one arrival per line. time: seconds as a plain number (12.5) or a duration
// (12.5s, 300ms), non-decreasing; key: a whole number; size: bytes, a whole number or a size (4KiB).
// Problems throw ScenarioError `FILE:LINE: what is wrong (what was expected)`.
#include <string>

#include "core/arrival_trace.hpp"

namespace qlab::workloads {

// `path` is opened; `shown` names it in messages and is kept as ArrivalTrace::file.
ArrivalTrace read_arrival_trace(const std::string& path, const std::string& shown);

}  // namespace qlab::workloads
