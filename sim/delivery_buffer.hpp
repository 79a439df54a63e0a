#pragma once
// A consumer's received, not yet started deliveries, first in first out. Unlike std::deque (which
// allocates a map and a 512-byte block even when empty) it allocates nothing until a consumer buffers
// its first delivery, which with prefetch 1 never happens, and it takes 24 bytes of the consumer's record.
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
    if (head_ + size_ == capacity_) make_room();
    slots_[head_ + size_++] = item;
  }
  // Precondition: !empty().
  T pop_front() {
    QLAB_CHECK(size_ > 0, "pop_front() of an empty delivery buffer");
    const T item = slots_[head_];
    head_ = --size_ == 0 ? 0 : head_ + 1;
    return item;
  }
  void clear() { head_ = size_ = 0; }

 private:
  // The back is at the end of the storage: move the items to the front when that frees at least half of
  // it, else double it (amortised O(1) per push).
  void make_room() {
    if (2 * size_ <= capacity_ && size_ < capacity_) {
      std::copy(begin(), end(), slots_.get());
    } else {
      QLAB_CHECK(capacity_ < UINT32_MAX / 2, "a consumer buffered more deliveries than a buffer can hold");
      const std::uint32_t bigger = capacity_ == 0 ? 1 : 2 * capacity_;
      auto slots = std::make_unique<T[]>(bigger);
      std::copy(begin(), end(), slots.get());
      slots_ = std::move(slots);
      capacity_ = bigger;
    }
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  std::uint32_t head_ = 0;  // slots_[0, head_) were popped
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

}  // namespace qlab::sim
