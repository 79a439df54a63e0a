#include "core/arrival_process.hpp"

#include <algorithm>
#include <cstdint>

namespace qlab {

ArrivalProcess::ArrivalProcess(const ProducerGroup& group, std::optional<Time> duration, RandomStream arrivals)
    : group_(group), duration_(duration), arrivals_(arrivals), left_(group.messages.value_or(UINT64_MAX)) {}

std::optional<Time> ArrivalProcess::next(Time now) {
  if (left_ == 0) return std::nullopt;
  Time next = now;
  switch (group_.arrival) {
    case Arrival::batch:
      next = std::max(now, group_.at);
      break;
    case Arrival::poisson:
      next = now + Distribution::exponential(static_cast<double>(kSecond) / group_.rate).sample(arrivals_);
      break;
    case Arrival::constant:
      next = std::max(now, origin_ + static_cast<Time>(static_cast<double>(sent_ - sent_at_origin_ + 1) *
                                                       static_cast<double>(kSecond) / group_.rate));
      break;
  }
  if (duration_ && next >= *duration_) return std::nullopt;
  return next;
}

void ArrivalProcess::on_published() {
  ++sent_;
  if (left_ != UINT64_MAX) --left_;
}

void ArrivalProcess::on_restart(Time now) {
  origin_ = now;
  sent_at_origin_ = sent_;
}

}  // namespace qlab
