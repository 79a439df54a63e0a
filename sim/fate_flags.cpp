#include "fate_flags.hpp"

#include <algorithm>
#include <iterator>

#include "core/check.hpp"

namespace qlab::sim {

void FateFlags::start_run(std::uint8_t flags) {
  runs_.emplace_hint(runs_.end(), base_, flags);
  last_run_flags_ = flags;
}

void FateFlags::drop_retired_prefix() {
  window_.erase(window_.begin(), window_.begin() + static_cast<std::ptrdiff_t>(head_));
  head_ = 0;
  bias_ = -base_;
}

void FateFlags::forget_below(MessageId mark) {
  mark = std::min(mark, base_);
  if (mark <= forgotten_end_) return;
  while (!runs_.empty() && runs_.begin()->first < mark) {
    const auto run = runs_.begin();
    const auto next = std::next(run);
    const MessageId end = next == runs_.end() ? base_ : next->first;
    const std::uint8_t flags = run->second;
    forgotten_[flags] += std::min(end, mark) - run->first;
    runs_.erase(run);
    if (end > mark) runs_.emplace_hint(runs_.begin(), mark, flags);  // the part at and after the mark stays
  }
  forgotten_end_ = mark;
}

std::uint8_t FateFlags::retired_get(MessageId id) const {
  QLAB_CHECK(id >= forgotten_end_, "flags of a message that was forgotten");
  QLAB_CHECK(!runs_.empty() && id < base_, "flags of an id that does not exist");
  return std::prev(runs_.upper_bound(id))->second;
}

void FateFlags::retired_set(MessageId id, std::uint8_t flags) {
  QLAB_CHECK(id >= forgotten_end_, "flags of a message that was forgotten");
  QLAB_CHECK(!runs_.empty() && id < base_, "flags of an id that does not exist");
  auto run = std::prev(runs_.upper_bound(id));
  const std::uint8_t old = run->second;
  if (old == flags) return;
  auto next = std::next(run);
  const MessageId end = next == runs_.end() ? base_ : next->first;
  // Split the run into [first, id) old, [id] flags, [id + 1, end) old; then merge equal neighbours.
  if (id + 1 < end) next = runs_.emplace_hint(next, id + 1, old);
  if (id == run->first) {
    run->second = flags;
  } else {
    run = runs_.emplace_hint(next, id, flags);
  }
  if (next != runs_.end() && next->second == flags) runs_.erase(next);
  if (run != runs_.begin() && std::prev(run)->second == flags) runs_.erase(run);
  last_run_flags_ = std::prev(runs_.end())->second;
}

}  // namespace qlab::sim
