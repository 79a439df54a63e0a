#pragma once
// What the real-broker back ends share when they map a scenario's queue: reading a design parameter, and the
// consumer a preassigned message is bound to.
#include <cstdint>
#include <string>
#include <variant>

#include "core/random_stream.hpp"
#include "core/scenario.hpp"

namespace qlab::live {

// The design parameter `name` when present with type T, else `fallback`.
template <typename T>
T param_or(const QueueSpec& queue, const std::string& name, T fallback) {
  const auto it = queue.params.find(name);
  if (it == queue.params.end()) return fallback;
  const T* value = std::get_if<T>(&it->second);
  return value != nullptr ? *value : fallback;
}

// Picked by the producer as the design's `assignment` would: hash of the key, hash of the message id
// (random), or the producer's own turn (round_robin is per producer: a real broker has no global join order).
inline std::uint32_t preassigned_consumer(const std::string& assignment, std::uint64_t message_id,
                                          std::uint64_t key, std::uint64_t turn, std::uint32_t consumers) {
  if (assignment == "hash") return static_cast<std::uint32_t>(mix64(key) % consumers);
  if (assignment == "random") return static_cast<std::uint32_t>(mix64(message_id) % consumers);
  return static_cast<std::uint32_t>(turn % consumers);
}

}  // namespace qlab::live
