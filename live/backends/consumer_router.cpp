#include "live/backends/consumer_router.hpp"

#include <functional>
#include <stdexcept>

namespace qlab::live {

ConsumerRouter::ConsumerRouter(const QueueSpec& queue, std::uint32_t consumers, const std::string& producer)
    : consumers_(consumers), rng_(std::hash<std::string>{}(producer)) {
  if (consumers == 0) throw std::invalid_argument("preassigned: the scenario has no consumer to assign messages to");
  const auto it = queue.params.find("assignment");
  const std::string assignment = it == queue.params.end() ? "round_robin" : std::get<std::string>(it->second);
  if (assignment == "random") {
    assignment_ = Assignment::random;
  } else if (assignment == "hash") {
    assignment_ = Assignment::hash;
  }
  // Producers start their cycles at different consumers, so a few producers do not all begin with consumer 0.
  next_ = std::hash<std::string>{}(producer) % consumers;
}

std::uint32_t ConsumerRouter::route(std::uint64_t key) {
  switch (assignment_) {
    case Assignment::random:
      return static_cast<std::uint32_t>(std::uniform_int_distribution<std::uint64_t>(0, consumers_ - 1)(rng_));
    case Assignment::hash:
      return static_cast<std::uint32_t>(key % consumers_);
    case Assignment::round_robin:
      break;
  }
  return static_cast<std::uint32_t>(next_++ % consumers_);
}

}  // namespace qlab::live
