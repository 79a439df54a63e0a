#pragma once
// The pending-event set of the discrete-event core: a binary min-heap ordered by (time, sequence number).
// The sequence number is the insertion order, so events at the same time run first-in first-out and a
// run is bit-for-bit reproducible.
#include <cstdint>
#include <vector>

#include "core/check.hpp"
#include "core/time.hpp"

namespace qlab::sim {

template <class Payload>
class EventList {
 public:
  struct Entry {
    Time time;
    std::uint64_t sequence;
    Payload payload;
  };

  void schedule(Time time, const Payload& payload) {
    heap_.push_back(Entry{time, next_sequence_++, payload});
    sift_up(heap_.size() - 1);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  Time next_time() const { return heap_.front().time; }
  // The earliest pending payload. Precondition: !empty().
  const Payload& next_payload() const { return heap_.front().payload; }
  // Visits every pending payload, in no particular order.
  template <class Visit>
  void for_each(Visit visit) const {
    for (const Entry& e : heap_) visit(e.payload);
  }
  // Removes and returns the earliest entry. Precondition: !empty().
  Entry pop() {
    QLAB_CHECK(!heap_.empty(), "pop from an empty event list");
    Entry top = std::move(heap_.front());
    heap_.front() = std::move(heap_.back());
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return top;
  }

 private:
  static bool before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  void sift_up(std::size_t i) {
    Entry moving = std::move(heap_[i]);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(moving, heap_[parent])) break;
      heap_[i] = std::move(heap_[parent]);
      i = parent;
    }
    heap_[i] = std::move(moving);
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    Entry moving = std::move(heap_[i]);
    while (true) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], moving)) break;
      heap_[i] = std::move(heap_[child]);
      i = child;
    }
    heap_[i] = std::move(moving);
  }

  std::vector<Entry> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace qlab::sim
