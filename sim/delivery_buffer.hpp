#pragma once
// A consumer's received, not yet started deliveries, first in first out. Unlike std::deque (which
// allocates a map and a 512-byte block even when empty) it allocates nothing until a consumer buffers
// its first delivery, which with prefetch 1 never happens; it is 32 bytes in the consumer's record.
// The live deliveries are contiguous ([begin, end)), so iteration is a plain loop.
#include <cstdint>
#include <vector>

#include "core/check.hpp"

namespace qlab::sim {

template <class T>
class DeliveryBuffer {
 public:
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  const T* begin() const { return items_.data() + head_; }
  const T* end() const { return items_.data() + items_.size(); }
  void push_back(const T& item) {
    // Reclaim the popped prefix instead of growing once it is at least half the storage (amortised O(1)).
    if (items_.size() == items_.capacity() && head_ > 0 && 2 * head_ >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + head_);
      head_ = 0;
    }
    items_.push_back(item);
  }
  // Precondition: !empty().
  T pop_front() {
    QLAB_CHECK(!empty(), "pop_front() of an empty delivery buffer");
    T item = items_[head_++];
    if (head_ == items_.size()) clear();
    return item;
  }
  void clear() {
    items_.clear();
    head_ = 0;
  }

 private:
  std::vector<T> items_;
  std::size_t head_ = 0;  // items_[0, head_) were popped
};

}  // namespace qlab::sim
