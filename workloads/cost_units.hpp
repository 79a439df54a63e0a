#pragma once
// Text forms of the broker's and the network's cost (`broker.per_byte`, `network.bandwidth`): units finer
// than core/units.hpp's, because a byte costs well under a nanosecond. Parsing throws UnitError.
#include <string>
#include <string_view>

namespace qlab::workloads {

// Nanoseconds per byte, fractions allowed: "1ns", "0.35ns", "350ps", "2us". Units: ps, ns, us, ms, s.
double parse_per_byte(std::string_view text);
// Bytes per second: "1Gbit/s", "100Mbit/s", "125MB/s", "1GiB/s". Units: bit, Kbit, Mbit, Gbit, B, KB, MB,
// GB, KiB, MiB, GiB, always per second.
double parse_bandwidth(std::string_view text);

// Texts that parse back to the same value (to 9 significant digits).
std::string format_per_byte(double ns);
std::string format_bandwidth(double bytes_per_second);

}  // namespace qlab::workloads
