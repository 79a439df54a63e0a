#pragma once
// The pending-event set of the discrete-event core, ordered by (time, sequence number). The sequence
// number is the insertion order, so events at the same time run first-in first-out and a run is
// bit-for-bit reproducible.
//
// Small populations are a binary min-heap of whole entries. Larger ones (100,000 consumers keep 90,000
// service completions pending) would make every pop walk up to 17 levels of a heap far larger than the
// first-level cache, so they become two-level: only the events before a horizon are near, and later
// events are appended, unsorted, to buckets of one power-of-two width of time in a window past it, or
// beyond the window to an overflow. When the near events run out, the next bucket is sorted into the
// near "run", and events scheduled before the horizon after that go to the near heap; the front is the
// earlier of the run's and the heap's. Every near event comes before every event outside (buckets split
// time, never ties), so the order is exactly the heap's. The run tells which events come next
// (ahead()), so that the caller can load what they will touch while earlier ones run. Bucket widths are
// chosen when a window is laid out, from the events then pending, for about kPerBucket events each.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <utility>
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

  // Inline, as next_time() and pop(): the common case (a small heap) must cost what a plain heap costs.
  void schedule(Time time, const Payload& payload) {
    ++size_;
    if ((time >> shift_) < next_bucket_) {
      const Entry entry{time, next_sequence_++, payload};
      near_.push_back(entry);
      sift_up(near_.size() - 1, entry);
      if (near_.size() > spread_above_) [[unlikely]] spread();
    } else {
      schedule_later(Entry{time, next_sequence_++, payload});
    }
  }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // Precondition: !empty() (as for next_payload and pop).
  Time next_time() { return front().time; }
  // The earliest pending payload.
  const Payload& next_payload() { return front().payload; }
  // The payload `k` (>= 1) places after the front in the near run, if the run has one: most often the
  // event that runs k events later (one the near heap receives meanwhile may come before it). Null while
  // everything is in the heap.
  const Payload* ahead(std::size_t k) const {
    return k < static_cast<std::size_t>(run_end_ - run_next_) ? &run_next_[k].payload : nullptr;
  }
  // Visits every pending payload, in no particular order.
  template <class Visit>
  void for_each(Visit visit) const {
    for (const Entry& e : near_) visit(e.payload);
    for (const Entry* e = run_next_; e != run_end_; ++e) visit(e->payload);
    for (const std::vector<Entry>& bucket : buckets_) {  // those outside the window are empty
      for (const Entry& e : bucket) visit(e.payload);
    }
    for (const Entry& e : overflow_) visit(e.payload);
  }
  // Removes and returns the earliest entry.
  Entry pop() {
    if (near_.empty() && run_next_ == run_end_) refill();
    --size_;
    if (front_in_run()) return *run_next_++;
    const Entry top = near_.front();
    const Entry last = near_.back();
    near_.pop_back();
    if (!near_.empty()) sift_down(0, last);
    return top;
  }

 private:
  // Measured with the hold model and 100,000 consumers: 32 to 512 events a bucket do about as well; more
  // buckets cost memory (each keeps its storage) and misses on their tails.
  static constexpr std::size_t kPerBucket = 128;
  // A window spans about twice the mean distance of the pending events from the earliest: 86% of an
  // exponential spread, all of a uniform one.
  static constexpr std::size_t kWindowSpans = 2;
  // A near heap above kSpreadAbove events is spread into buckets; a window is laid out only for more than
  // kHeapBelow events (below, everything stays in the heap). The gap keeps a population near either from
  // switching back and forth. Measured in the simulator (M/M/c at rho 0.9, c - 1 completions pending): the
  // two-level list beats a heap from about 150 consumers on (+8% at 150, +20% at 300, +34% at 1,000), and
  // is no different at 30 to 100.
  static constexpr std::size_t kSpreadAbove = 128;
  static constexpr std::size_t kHeapBelow = 32;
  static constexpr std::int64_t kAllNear = std::numeric_limits<std::int64_t>::max();

  static bool before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  // The earliest entry. Precondition: !empty().
  const Entry& front() {
    if (near_.empty() && run_next_ == run_end_) refill();
    return front_in_run() ? *run_next_ : near_.front();
  }
  // Whether the earliest near event is the run's rather than the heap's. Precondition: one is not empty.
  bool front_in_run() const {
    return run_next_ != run_end_ && (near_.empty() || before(*run_next_, near_.front()));
  }
  // An event past the near heap's horizon: into its bucket, or the overflow beyond the window.
  [[gnu::noinline]] void schedule_later(const Entry& entry) {
    const std::int64_t bucket = entry.time >> shift_;
    if (bucket < window_end_) {
      buckets_[static_cast<std::size_t>(bucket) & bucket_mask_].push_back(entry);
    } else {
      add_to_overflow(entry);
    }
  }
  void add_to_overflow(const Entry& entry) {
    count_in_overflow(entry.time);
    overflow_.push_back(entry);
  }
  void count_in_overflow(Time time) {
    overflow_earliest_ = std::min(overflow_earliest_, time);
    overflow_sum_ += static_cast<long double>(time);
  }
  void clear_overflow_figures() {
    overflow_earliest_ = std::numeric_limits<Time>::max();
    overflow_sum_ = 0;
  }
  // The near events ran out: the next non-empty bucket, sorted, becomes the run (a new window is laid out
  // from the overflow when the window is used up; with few events, everything goes to the heap).
  [[gnu::noinline]] void refill() {
    QLAB_CHECK(size_ > 0, "the front of an empty event list");
    while (near_.empty() && run_next_ == run_end_) {
      if (next_bucket_ == window_end_) {
        lay_out_window();
        continue;
      }
      std::vector<Entry>& bucket = buckets_[static_cast<std::size_t>(next_bucket_++) & bucket_mask_];
      if (bucket.empty()) continue;
      run_.swap(bucket);
      std::vector<Entry>().swap(bucket);  // the drained run's storage is freed, not kept by a bucket
      std::sort(run_.begin(), run_.end(), before);
      run_next_ = run_.data();
      run_end_ = run_.data() + run_.size();
    }
  }
  // Every pending event is in the overflow (near heap and window are empty): lays out a window of buckets
  // from the earliest of them, or puts them all in the heap when they are few.
  void lay_out_window() {
    const Time earliest = overflow_earliest_;
    const long double sum = overflow_sum_;
    const std::size_t bucket_count = std::bit_ceil(kWindowSpans * overflow_.size() / kPerBucket);
    if (overflow_.size() <= kHeapBelow || earliest > kAllNear - static_cast<std::int64_t>(bucket_count)) {
      shift_ = 0;
      next_bucket_ = kAllNear;
      window_end_ = kAllNear;
      spread_above_ = kSpreadAbove;
      near_.swap(overflow_);  // the overflow takes the empty heap's place
      clear_overflow_figures();
      make_heap();
      return;
    }
    // About kPerBucket events a bucket near the start, for spreads as different as a uniform and an
    // exponential one: the mean distance from the earliest, over the number of events.
    const auto mean_gap = static_cast<double>((sum / static_cast<long double>(overflow_.size()) -
                                               static_cast<long double>(earliest)) /
                                              static_cast<long double>(overflow_.size()));
    const double width = std::max(1.0, mean_gap * static_cast<double>(kPerBucket));
    shift_ = std::min(62, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(width))) - 1);
    next_bucket_ = earliest >> shift_;
    window_end_ = next_bucket_ + static_cast<std::int64_t>(bucket_count);
    spread_above_ = SIZE_MAX;
    if (buckets_.size() < bucket_count) buckets_.resize(bucket_count);
    bucket_mask_ = bucket_count - 1;
    // Those beyond the window stay, moved to the front of the overflow (its storage is reused: new memory
    // costs page faults).
    std::size_t kept = 0;
    clear_overflow_figures();
    for (Entry& e : overflow_) {
      const std::int64_t bucket = e.time >> shift_;
      if (bucket < window_end_) {
        buckets_[static_cast<std::size_t>(bucket) & bucket_mask_].push_back(std::move(e));
      } else {
        count_in_overflow(e.time);
        overflow_[kept++] = std::move(e);
      }
    }
    overflow_.resize(kept);
  }
  // The near heap grew past kSpreadAbove while everything was near: everything goes to the overflow and
  // the next front() lays out a window.
  [[gnu::noinline]] void spread() {
    for (const Entry& e : near_) add_to_overflow(e);
    near_.clear();
    next_bucket_ = 0;
    window_end_ = 0;
    spread_above_ = SIZE_MAX;
  }
  // Both sifts take the entry that moves as a value rather than reading it back from the heap: a load of an
  // entry just stored, field by field, waits for the stores instead of being forwarded from them.
  void sift_up(std::size_t i, const Entry& moving) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(moving, near_[parent])) break;
      near_[i] = std::move(near_[parent]);
      i = parent;
    }
    near_[i] = moving;
  }
  void sift_down(std::size_t i, const Entry& moving) {
    const std::size_t n = near_.size();
    while (true) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(near_[child + 1], near_[child])) ++child;
      if (!before(near_[child], moving)) break;
      near_[i] = std::move(near_[child]);
      i = child;
    }
    near_[i] = moving;
  }
  void make_heap() {
    for (std::size_t i = near_.size() / 2; i-- > 0;) sift_down(i, Entry(near_[i]));
  }

  std::vector<Entry> near_;  // binary min-heap of the events in buckets before next_bucket_, but the run's
  std::vector<Entry> run_;   // a bucket's events in order, all before next_bucket_; those from run_next_ pend
  const Entry* run_next_ = nullptr;
  const Entry* run_end_ = nullptr;
  // Bucket b (absolute: time >> shift_) for next_bucket_ <= b < window_end_ is buckets_[b & bucket_mask_];
  // the window has at most bucket_mask_ + 1 buckets, every other one is empty.
  std::vector<std::vector<Entry>> buckets_;
  std::size_t bucket_mask_ = 0;
  std::vector<Entry> overflow_;  // events in buckets at or after window_end_
  // The overflow's earliest time and the sum of its times, kept as events enter and stay: laying out a
  // window then reads the overflow once (with 100,000 consumers it holds megabytes, read from memory).
  Time overflow_earliest_ = std::numeric_limits<Time>::max();
  long double overflow_sum_ = 0;
  int shift_ = 0;
  std::int64_t next_bucket_ = kAllNear;  // while kAllNear, every event goes to the near heap
  std::int64_t window_end_ = kAllNear;
  std::size_t spread_above_ = kSpreadAbove;  // SIZE_MAX while a window is laid out
  std::size_t size_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace qlab::sim
