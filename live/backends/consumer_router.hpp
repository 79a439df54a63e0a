#pragma once
// The `preassigned` design on back ends that have no broker-side assignment (Redis, beanstalkd): each
// consumer has its own stream/tube, and the producer binds every message to one of them when it publishes,
// with the design's `assignment` (round_robin, random or hash). Unlike qlab's broker, the set of consumers is
// the scenario's (ClientConfig::consumer_count), fixed up front, and round_robin and random are per producer.
#include <cstdint>
#include <random>
#include <string>

#include "core/scenario.hpp"

namespace qlab::live {

class ConsumerRouter {
 public:
  // `consumers` > 0; `producer` (its stable name) seeds where round_robin starts and the random draws.
  ConsumerRouter(const QueueSpec& queue, std::uint32_t consumers, const std::string& producer);
  // The consumer index (0..consumers-1) a message with this key goes to.
  std::uint32_t route(std::uint64_t key);

 private:
  enum class Assignment { round_robin, random, hash };
  Assignment assignment_ = Assignment::round_robin;
  std::uint32_t consumers_;
  std::uint64_t next_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace qlab::live
