#pragma once
// Per-consumer state lives in vectors indexed by ConsumerId (callers choose small dense ids).
#include <vector>

#include "core/check.hpp"
#include "queue_design.hpp"

namespace qlab {

// A huge id is a caller bug, not a reason to allocate gigabytes.
inline constexpr ConsumerId kMaxConsumerId = 1u << 24;

inline void check_consumer_id(ConsumerId consumer) {
  QLAB_CHECK(consumer < kMaxConsumerId, "consumer ids must be small dense integers");
}

// `table[consumer]`, growing `table` with default-constructed entries when `consumer` is new.
template <typename T>
T& consumer_slot(std::vector<T>& table, ConsumerId consumer) {
  check_consumer_id(consumer);
  if (consumer >= table.size()) table.resize(static_cast<std::size_t>(consumer) + 1);
  return table[consumer];
}

}  // namespace qlab
