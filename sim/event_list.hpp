#pragma once
// The pending-event set of the discrete-event core, ordered by (time, sequence number). The sequence
// number is the insertion order, so events at the same time run first-in first-out and a run is
// bit-for-bit reproducible.
//
// A calendar queue (R. Brown, CACM 1988): time is cut into buckets of a fixed width, laid round a ring
// of about as many buckets as there are pending events, so a pop or a schedule touches one or two
// buckets whatever the population (a heap's cost grows with its depth and, past the cache, with a miss
// per level). Each bucket is kept sorted by (time, sequence): ties, and so the order, are exactly a
// heap's. The ring and the width are rebuilt when the population doubles or halves, or when the work per
// operation shows the width no longer fits the spacing of the events. Below a few thousand pending events
// the keys are a binary heap instead, which is cheaper there. Payloads stay put in a slot pool; only small
// keys move. bench/event_list_bench.cpp measures it against a binary heap of whole entries.
#include <algorithm>
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
    std::uint32_t slot;
    if (free_slots_.empty()) {
      QLAB_CHECK(slots_.size() < UINT32_MAX, "more than 2^32 pending events");
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(payload);
    } else {
      slot = free_slots_.back();  // the most recently freed slot: likely still in cache
      free_slots_.pop_back();
      slots_[slot] = payload;
    }
    ++size_;
    const Key key{time, next_sequence_++, slot};
    if (buckets_.empty()) {
      heap_.push_back(key);
      sift_up(heap_.size() - 1);
      if (size_ > kCalendarAbove) to_calendar();
      return;
    }
    if (size_ > 2 * buckets_.size()) rebuild();
    insert(key);
    count_operation();
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The earliest pending time. Precondition: !empty().
  Time next_time() { return buckets_.empty() ? heap_.front().time : front().time; }
  // Visits every pending payload, in no particular order.
  template <class Visit>
  void for_each(Visit visit) const {
    for (const Key& k : heap_) visit(slots_[k.slot]);
    for (const Bucket& b : buckets_) {
      for (std::size_t i = b.head; i < b.keys.size(); ++i) visit(slots_[b.keys[i].slot]);
    }
  }
  // Removes and returns the earliest entry. Precondition: !empty().
  Entry pop() {
    QLAB_CHECK(size_ > 0, "pop from an empty event list");
    --size_;
    Key top;
    if (buckets_.empty()) {
      top = heap_.front();
      heap_.front() = heap_.back();
      heap_.pop_back();
      if (!heap_.empty()) sift_down(0);
    } else {
      top = front();
      Bucket& bucket = buckets_[current_];
      if (++bucket.head == bucket.keys.size()) {
        bucket.keys.clear();
        bucket.head = 0;
      }
      if (size_ < kHeapBelow) {
        to_heap();
      } else if (size_ < buckets_.size() / 4) {
        rebuild();
      } else {
        count_operation();
      }
    }
    free_slots_.push_back(top.slot);
    return Entry{top.time, top.sequence, std::move(slots_[top.slot])};
  }

 private:
  struct Key {
    Time time;
    std::uint64_t sequence;
    std::uint32_t slot;
  };
  struct Bucket {
    std::vector<Key> keys;  // sorted by (time, sequence) from `head`; [0, head) already popped
    std::uint32_t head = 0;
  };
  // Below a few thousand pending events a binary heap of keys is cheaper (it fits in cache and has few
  // levels); the list switches to the calendar above kCalendarAbove and back below kHeapBelow.
  static constexpr std::size_t kCalendarAbove = 4096;
  static constexpr std::size_t kHeapBelow = 1024;
  static constexpr std::size_t kMinBuckets = 16;

  static bool before(const Key& a, const Key& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  void sift_up(std::size_t i) {
    const Key moving = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(moving, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = moving;
  }
  void sift_down(std::size_t i) {
    const std::size_t n = heap_.size();
    const Key moving = heap_[i];
    for (std::size_t child = 2 * i + 1; child < n; child = 2 * i + 1) {
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  void to_calendar() {
    rebuild_keys_.swap(heap_);
    heap_.clear();
    lay_out();
  }
  void to_heap() {
    for (Bucket& b : buckets_) heap_.insert(heap_.end(), b.keys.begin() + b.head, b.keys.end());
    buckets_.clear();
    for (std::size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
  }
  std::size_t bucket_of(Time time) const { return static_cast<std::size_t>(time >> width_shift_) & (buckets_.size() - 1); }

  void insert(const Key& key) {
    if (key.time < window_end_ - (Time{1} << width_shift_)) {
      // Earlier than the current bucket's window (never in a simulation, where time only moves on): start
      // the scan over from the new key's bucket.
      current_ = bucket_of(key.time);
      window_end_ = ((key.time >> width_shift_) + 1) << width_shift_;
    }
    Bucket& bucket = buckets_[bucket_of(key.time)];
    std::vector<Key>& keys = bucket.keys;
    keys.push_back(key);
    // Usually the newest key is the latest in its bucket; otherwise it moves left into place.
    std::size_t i = keys.size() - 1;
    for (; i > bucket.head && before(key, keys[i - 1]); --i) keys[i] = keys[i - 1];
    keys[i] = key;
    work_ += keys.size() - 1 - i;
  }

  // Moves `current_` to the bucket holding the earliest key and returns that key (valid until the next
  // insert or rebuild). Precondition: size_ > 0.
  const Key& front() {
    for (std::size_t scanned = 0; scanned < buckets_.size(); ++scanned) {
      const Bucket& b = buckets_[current_];
      if (b.head < b.keys.size() && b.keys[b.head].time < window_end_) {
        work_ += scanned;
        return b.keys[b.head];
      }
      current_ = (current_ + 1) & (buckets_.size() - 1);
      window_end_ += Time{1} << width_shift_;
    }
    // A whole turn of the ring without a key in its window: jump to the earliest key directly.
    work_ += buckets_.size();
    const Key* earliest = nullptr;
    for (const Bucket& b : buckets_) {
      if (b.head < b.keys.size() && (earliest == nullptr || before(b.keys[b.head], *earliest))) earliest = &b.keys[b.head];
    }
    current_ = bucket_of(earliest->time);
    window_end_ = ((earliest->time >> width_shift_) + 1) << width_shift_;
    return *earliest;
  }

  // Every so many operations, a width that no longer fits (long scans of empty buckets, crowded buckets)
  // is re-estimated. Keeps the cost per operation bounded when the spacing of events drifts.
  void count_operation() {
    if (++operations_ < 4 * buckets_.size() + 64) return;
    const bool misfit = work_ > 8 * operations_;
    operations_ = 0;
    work_ = 0;
    if (misfit) rebuild();
  }

  // Re-lays every key over a ring of about size_ buckets, with a width of about three times the mean
  // spacing of the earlier half of the pending times (far-future outliers do not stretch it). Buckets keep
  // their storage; each is re-sorted on its own (they are short).
  void rebuild() {
    rebuild_keys_.clear();
    for (Bucket& b : buckets_) {
      rebuild_keys_.insert(rebuild_keys_.end(), b.keys.begin() + b.head, b.keys.end());
      b.keys.clear();
      b.head = 0;
    }
    lay_out();
  }
  // Lays the keys of rebuild_keys_ out over empty buckets.
  void lay_out() {
    const std::vector<Key>& keys = rebuild_keys_;
    std::size_t count = kMinBuckets;
    while (count < keys.size()) count *= 2;
    // The spacing from an evenly strided sample of at most 64 keys: its median estimates the median time.
    width_shift_ = 0;
    if (keys.size() >= 2) {
      const std::size_t stride = (keys.size() + 63) / 64;
      std::vector<Time> sample;
      for (std::size_t i = 0; i < keys.size(); i += stride) sample.push_back(keys[i].time);
      std::sort(sample.begin(), sample.end());
      const Time spacing = (sample[sample.size() / 2] - sample.front()) / static_cast<Time>(std::max<std::size_t>(1, keys.size() / 2));
      while (width_shift_ < 62 && (Time{1} << width_shift_) < 3 * spacing) ++width_shift_;
    }
    buckets_.resize(count);
    const Key* earliest = nullptr;
    for (const Key& k : keys) {
      buckets_[bucket_of(k.time)].keys.push_back(k);
      if (earliest == nullptr || before(k, *earliest)) earliest = &k;
    }
    for (Bucket& b : buckets_) {
      if (b.keys.size() > 1) std::sort(b.keys.begin(), b.keys.end(), before);
    }
    const Time start = earliest != nullptr ? earliest->time : 0;
    current_ = bucket_of(start);
    window_end_ = ((start >> width_shift_) + 1) << width_shift_;
    operations_ = 0;
    work_ = 0;
  }

  std::vector<Key> heap_;        // the keys while the list is a heap (buckets_ empty)
  std::vector<Bucket> buckets_;  // a power of two of them while the list is a calendar
  int width_shift_ = 0;          // bucket width: 2^width_shift_ ns
  std::size_t current_ = 0;      // the bucket the scan is at
  Time window_end_ = 1;          // end of the current bucket's window: keys at or after it are a later turn
  std::size_t size_ = 0;
  std::size_t operations_ = 0;
  std::size_t work_ = 0;  // buckets scanned and keys shifted since operations_ was reset
  std::vector<Key> rebuild_keys_;  // scratch, kept to avoid reallocating
  std::vector<Payload> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace qlab::sim
