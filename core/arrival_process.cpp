#include "core/arrival_process.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace qlab {

ArrivalProcess::ArrivalProcess(const ProducerGroup& group, std::optional<Time> duration, RandomStream arrivals)
    : group_(group),
      duration_(duration),
      arrivals_(arrivals),
      gap_(Distribution::exponential(static_cast<double>(kSecond) / group.rate)),
      left_(group.messages.value_or(UINT64_MAX)) {}

Time ArrivalProcess::next(Time now) {
  if (left_ == 0) return kNever;
  Time next = now;
  switch (group_.arrival) {
    case Arrival::batch:
      next = std::max(now, group_.at);
      break;
    case Arrival::poisson:
      if (group_.schedule) {
        next = group_.schedule->advance(now, -std::log(arrivals_.next_open01()));
        break;
      }
      next = now + gap_.sample(arrivals_);
      break;
    case Arrival::constant:
      if (group_.schedule) {
        next = group_.schedule->advance(now, 1);
        break;
      }
      next = std::max(now, origin_ + static_cast<Time>(static_cast<double>(sent_ - sent_at_origin_ + 1) *
                                                       static_cast<double>(kSecond) / group_.rate));
      break;
    case Arrival::trace:
      next = std::max(now, group_.trace->time_of(row_));
      break;
  }
  return duration_ && next >= *duration_ ? kNever : next;
}

void ArrivalProcess::on_published() {
  ++sent_;
  ++row_;
  if (left_ != UINT64_MAX) --left_;
}

void ArrivalProcess::on_restart(Time now) {
  origin_ = now;
  sent_at_origin_ = sent_;
  if (group_.arrival != Arrival::trace) return;
  while (group_.trace->time_of(row_) < now) ++row_;  // the rows that fell while it was down are not replayed
}

}  // namespace qlab
