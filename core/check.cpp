#include "check.hpp"

#include <cstdio>
#include <cstdlib>

namespace qlab {
namespace {
thread_local std::uint64_t current_seed = 0;
}

void set_check_seed(std::uint64_t seed) { current_seed = seed; }

void check_failed(const char* expression, const char* message, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: qlab internal check failed: %s (%s); seed %llu\n", file, line, expression,
               message, static_cast<unsigned long long>(current_seed));
  std::abort();
}

}  // namespace qlab
