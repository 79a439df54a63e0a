#pragma once
// A broken invariant is a bug: QLAB_CHECK prints where and under which seed, then aborts.
// Bad input is never checked with this; it raises an exception with a location instead.
#include <cstdint>

namespace qlab {

// The seed of the run on this thread, printed by a failing check so the failure can be replayed.
void set_check_seed(std::uint64_t seed);
[[noreturn]] void check_failed(const char* expression, const char* message, const char* file, int line);

}  // namespace qlab

#define QLAB_CHECK(cond, message)                                              \
  do {                                                                         \
    if (!(cond)) ::qlab::check_failed(#cond, (message), __FILE__, __LINE__);   \
  } while (false)
