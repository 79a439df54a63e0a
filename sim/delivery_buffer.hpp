#pragma once
// A consumer's received, not yet started deliveries, first in first out. Unlike std::deque (which
// allocates a map and a 512-byte block even when empty) it allocates nothing until a consumer buffers
// its first delivery, which with prefetch 1 never happens, and it takes 16 bytes of the consumer's record
// (so that it shares a cache line with what every completion touches: empty() reads only that line).
// The live deliveries are contiguous ([begin, end)), so iteration is a plain loop.
#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/check.hpp"

namespace qlab::sim {

template <class T>
class DeliveryBuffer {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  const T* begin() const { return slots_.get() + head_; }
  const T* end() const { return slots_.get() + head_ + size_; }
  void push_back(const T& item) {
    if (head_ + size_ == capacity()) make_room();
    slots_[head_ + size_++] = item;
  }
  // Precondition: !empty().
  T pop_front() {
    QLAB_CHECK(size_ > 0, "pop_front() of an empty delivery buffer");
    const T item = slots_[head_];
    head_ = --size_ == 0 ? 0 : head_ + 1U;
    return item;
  }
  void clear() {
    size_ = 0;
    head_ = 0;
  }

 private:
  // The back is at the end of the storage: move the items to the front when that frees at least half of
  // it, else double it (amortised O(1) per push).
  void make_room() {
    if (2 * size_ <= capacity() && size_ < capacity()) {
      std::copy(begin(), end(), slots_.get());
    } else {
      const std::uint32_t log2 = slots_ ? capacity_log2_ + 1 : 0;
      QLAB_CHECK(log2 <= kMaxCapacityLog2, "a consumer buffered more deliveries than a buffer can hold");
      auto slots = std::make_unique<T[]>(std::size_t{1} << log2);
      std::copy(begin(), end(), slots.get());
      slots_ = std::move(slots);
      capacity_log2_ = log2 & 31;
    }
    head_ = 0;
  }
  std::uint32_t capacity() const { return slots_ ? 1U << capacity_log2_ : 0; }

  static constexpr std::uint32_t kMaxCapacityLog2 = 26;  // head_ must hold any index below the capacity
  std::unique_ptr<T[]> slots_;
  std::uint32_t size_ = 0;
  std::uint32_t head_ : 27 = 0;  // slots_[0, head_) were popped
  std::uint32_t capacity_log2_ : 5 = 0;  // with slots_; no storage without
};

}  // namespace qlab::sim
