#include "live/steady_clock.hpp"

#include <ctime>

namespace qlab::live {

Time monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Time>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

}  // namespace qlab::live
