#pragma once
// A share of a suite's points for one machine or batch task (docs: docs/SCALE.md). The assignment is fixed
// by the suite alone: the points are numbered 0, 1, 2, ... across the runs in suite order (after --filter),
// and point k belongs to shard (k mod N) + 1. It depends on no machine, thread count or timing, so N
// processes anywhere, each given its I, cover every point exactly once.
#include <cstddef>
#include <string>

namespace qlab::bench {

// The shard (1..count) of the point numbered `point_number` in suite order.
inline unsigned shard_of(std::size_t point_number, unsigned count) { return static_cast<unsigned>(point_number % count) + 1; }

struct Shard {
  unsigned index = 1;  // 1..count
  unsigned count = 1;

  bool contains(std::size_t point_number) const { return shard_of(point_number, count) == index; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "I/N" with 1 <= I <= N; throws qlab::workloads::ScenarioError naming `option` otherwise.
Shard parse_shard(const std::string& text, const std::string& option);

}  // namespace qlab::bench
