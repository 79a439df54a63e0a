#pragma once
// One flag byte per message id (ids are dense, from 0), in memory that does not grow with the number of
// messages. Recent ids live in a dense window, one byte each; the window's front is retired as soon as it
// is `settled` (or the window is over kMaxWindow bytes and mostly settled), into runs of equal bytes:
// almost every old message ends with the same flags, so a long run costs one node. Every id stays readable
// and writable at its exact value until its owner forgets it (forget_below: only counts by value stay);
// writes to retired ids (rare: a late confirm, a redelivery after a failover) split and re-merge runs. Which
// ids are retired is a matter of memory and speed, never of results.
#include <array>
#include <cstdint>
#include <iterator>
#include <map>
#include <vector>

#include "queues/queue_design.hpp"

namespace qlab::sim {

class FateFlags {
 public:
  // The window's front is retired at once when its flags have any bit of `settled_mask` set.
  explicit FateFlags(std::uint8_t settled_mask) : settled_mask_(settled_mask) {}

  // A new id with flags 0.
  MessageId append() {
    retire_settled();
    window_.push_back(0);
    ++unsettled_;
    return next_id_++;
  }
  std::uint8_t get(MessageId id) const { return id >= base_ ? window_[id + bias_] : retired_get(id); }
  void set(MessageId id, std::uint8_t flags) {
    if (id >= base_) {
      std::uint8_t& slot = window_[id + bias_];
      if (settled(flags) != settled(slot)) {  // once a message, when it settles
        if (settled(slot)) {
          ++unsettled_;
        } else {
          --unsettled_;
        }
      }
      slot = flags;
    } else {
      retired_set(id, flags);
    }
  }
  std::uint64_t size() const { return next_id_; }
  // Forgets the flags of the retired ids below `mark` (at most those below the window), keeping only how
  // many ended with each value: ids whose fates alternate (losses among processed messages) no longer cost a
  // run each. Precondition: no forgotten id is read or written again (a check fails if one is).
  void forget_below(MessageId mark);
  // Calls visit(flags, count) for runs of ids covering every id once, in no particular grouping.
  template <class Visit>
  void for_each_run(Visit visit) const {
    for (std::size_t flags = 0; flags < forgotten_.size(); ++flags) {
      if (forgotten_[flags] != 0) visit(static_cast<std::uint8_t>(flags), forgotten_[flags]);
    }
    for (auto it = runs_.begin(); it != runs_.end(); ++it) {
      const auto next = std::next(it);
      visit(it->second, (next == runs_.end() ? base_ : next->first) - it->first);
    }
    for (std::size_t i = head_; i < window_.size(); ++i) visit(window_[i], std::uint64_t{1});
  }
  // How the ids are held: in the window, and how many runs the retired ones form.
  std::size_t window_size() const { return window_.size() - head_; }
  std::size_t run_count() const { return runs_.size(); }

  static constexpr std::size_t kMaxWindow = std::size_t{1} << 20;

 private:
  bool settled(std::uint8_t flags) const { return (flags & settled_mask_) != 0; }
  // Unsettled fronts are retired too once the window is long and mostly settled (a message stuck for a
  // long time must not hold every later byte); a window that is long because many messages are unsettled
  // (a deep backlog) stays, at one byte per such message.
  void retire_settled() {
    while (head_ < window_.size() &&
           (settled(window_[head_]) || (window_size() >= kMaxWindow && window_size() > 4 * unsettled_))) {
      retire_front();
    }
  }
  // Inline: it runs once per message. The uncommon steps (a new run, dropping the retired prefix) are calls.
  void retire_front() {
    const std::uint8_t flags = window_[head_];
    unsettled_ -= static_cast<std::size_t>(!settled(flags));
    if (runs_.empty() || last_run_flags_ != flags) start_run(flags);
    ++head_;
    ++base_;
    // Drop the retired prefix once it is half the buffer: amortised O(1) per id, at most 2x the live window.
    if (head_ >= 4096 && head_ * 2 >= window_.size()) drop_retired_prefix();
  }
  void start_run(std::uint8_t flags);
  void drop_retired_prefix();
  std::uint8_t retired_get(MessageId id) const;
  void retired_set(MessageId id, std::uint8_t flags);

  std::uint8_t settled_mask_;
  std::vector<std::uint8_t> window_;  // flags of ids [base_, next_id_) from index head_
  std::size_t head_ = 0;
  std::size_t bias_ = 0;  // head_ - base_ (modulo 2^64): id's index in window_ is id + bias_
  std::size_t unsettled_ = 0;  // ids in the window without a settled flag
  MessageId base_ = 0;
  MessageId next_id_ = 0;
  std::map<MessageId, std::uint8_t> runs_;  // first id of a run -> its flags; they cover [forgotten_end_, base_)
  std::array<std::uint64_t, 256> forgotten_{};  // ids below forgotten_end_, by flags
  MessageId forgotten_end_ = 0;
  std::uint8_t last_run_flags_ = 0;         // flags of the last run (when there is one)
};

}  // namespace qlab::sim
