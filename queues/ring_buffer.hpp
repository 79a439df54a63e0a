#pragma once
// A growable FIFO over one contiguous power-of-two buffer. Unlike std::deque it never allocates in steady
// state: the buffer only grows (doubling) when the FIFO is longer than ever before, and is reused after.
#include <cstddef>
#include <utility>
#include <vector>

#include "core/check.hpp"

namespace qlab {

template <typename T>
class RingBuffer {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push_back(const T& value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & mask_] = value;
    ++size_;
  }
  // Precondition: not empty.
  T& front() {
    QLAB_CHECK(size_ > 0, "front() of an empty RingBuffer");
    return slots_[head_];
  }
  // Precondition: not empty.
  const T& front() const {
    QLAB_CHECK(size_ > 0, "front() of an empty RingBuffer");
    return slots_[head_];
  }
  // The element `i` places behind the front. Precondition: i < size().
  const T& operator[](std::size_t i) const {
    QLAB_CHECK(i < size_, "RingBuffer index past the back");
    return slots_[(head_ + i) & mask_];
  }
  // Precondition: not empty.
  T pop_front() {
    QLAB_CHECK(size_ > 0, "pop_front() of an empty RingBuffer");
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) & mask_;
    --size_;
    return value;
  }
  // Removes the front element. Precondition: not empty.
  void drop_front() {
    QLAB_CHECK(size_ > 0, "drop_front() of an empty RingBuffer");
    head_ = (head_ + 1) & mask_;
    --size_;
  }
  // Visits the elements front to back.
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (std::size_t i = 0; i < size_; ++i) visit(slots_[(head_ + i) & mask_]);
  }
  // Keeps the elements for which `keep` is true, in order (O(size)).
  template <typename Keep>
  void retain(Keep&& keep) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      T& value = slots_[(head_ + i) & mask_];
      if (keep(value)) slots_[(head_ + kept++) & mask_] = std::move(value);
    }
    size_ = kept;
  }

 private:
  // Out of line and cold: keeps push_back small enough to inline on the designs' hot paths.
  [[gnu::cold, gnu::noinline]] void grow() {
    std::vector<T> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(slots_[(head_ + i) & mask_]);
    slots_ = std::move(bigger);
    head_ = 0;
    mask_ = slots_.size() - 1;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace qlab
