#pragma once
// The ranges the loader enforces beyond "well-formed" (documented in workloads/README.md, "Limits"). Most
// follow from the simulator's clock, signed 64-bit nanoseconds: arrivals cannot be spaced closer than 1ns,
// and no time the run can reach may overflow. The rest keep the distributions' arithmetic finite.
#include <cstdint>

#include "core/time.hpp"

namespace qlab::workloads {

// Producer rates, messages per second per producer: at most one arrival per nanosecond, at least one in
// about 31.7 years (the spacing then still fits the clock many times over).
inline constexpr double kMaxRate = 1e9;
inline constexpr double kMinRate = 1e-9;
// The run's horizon (publishing time + drain_timeout) and any one duration: 2^62 ns, about 146 years, so
// that adding one more duration to a time on the horizon cannot overflow the clock.
inline constexpr Time kMaxHorizon = Time{1} << 62;
// lognormal cv and pareto shape: beyond these the distribution's arithmetic overflows a double, and the
// shapes are indistinguishable from a constant anyway.
inline constexpr double kMaxCv = 1000;
inline constexpr double kMaxShape = 1e6;
// A slow fault's factor: service times are multiplied by it, so factor x the longest mean service must
// stay within kMaxHorizon too.
inline constexpr double kMaxSlowFactor = 1e6;
// Message sizes are stored in 32 bits.
inline constexpr std::int64_t kMaxMessageSize = (std::int64_t{1} << 32) - 1;
// YAML nesting deeper than this is refused before it is read (no scenario needs more than about 5 levels).
inline constexpr int kMaxNesting = 64;

}  // namespace qlab::workloads
