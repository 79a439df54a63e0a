#pragma once
// Simulated and real time alike: signed 64-bit integer nanoseconds, never floating point.
#include <cstdint>
#include <limits>

namespace qlab {

using Time = std::int64_t;  // nanoseconds since the start of a run

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kNever = std::numeric_limits<Time>::max();

inline constexpr double to_seconds(Time t) { return static_cast<double>(t) / static_cast<double>(kSecond); }

}  // namespace qlab
