#pragma once
// The time base of every live records file and deadline: the steady clock (CLOCK_MONOTONIC, shared by every
// process of a host) in ns.
#include "core/time.hpp"

namespace qlab::live {

Time monotonic_now();

}  // namespace qlab::live
