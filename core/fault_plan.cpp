#include "core/fault_plan.hpp"

#include <algorithm>
#include <functional>
#include <string>

namespace qlab {

FaultPlan::FaultPlan(const Scenario& scenario, std::uint64_t repetition_seed) : scenario_(scenario) {
  std::uint32_t consumers = 0;
  for (const ConsumerGroup& g : scenario.consumers) {
    first_consumer_.push_back(consumers);
    consumers += g.count;
  }
  std::uint32_t producers = 0;
  for (const ProducerGroup& g : scenario.producers) {
    first_producer_.push_back(producers);
    producers += g.count;
  }
  producer_count_ = producers;
  down_.assign(consumers, false);
  for (std::size_t f = 0; f < scenario.faults.size(); ++f) {
    rngs_.push_back(RandomStream::derive(repetition_seed, "fault/" + std::to_string(f)));
  }
  for (std::size_t f = 0; f < scenario.faults.size(); ++f) {
    const FaultSpec& fault = scenario.faults[f];
    const Time first = fault.at ? *fault.at : fault.every->sample(rngs_[f]);
    if (!fault.until || first <= *fault.until) plan(first, false, static_cast<std::uint32_t>(f));
  }
}

void FaultPlan::plan(Time at, bool restart, std::uint32_t index) {
  pending_.push_back({at, next_sequence_++, restart, index});
  std::push_heap(pending_.begin(), pending_.end(), std::greater<>());
}

Time FaultPlan::next_time() const {
  Time earliest = kNever;
  for (const Pending& p : pending_) {
    if (!p.restart) earliest = std::min(earliest, p.at);
  }
  return earliest;
}

std::vector<std::uint32_t> FaultPlan::resolve(const FaultTarget& target, RandomStream& rng) const {
  std::vector<std::uint32_t> members;
  switch (target.kind) {
    case FaultTarget::Kind::group:
    case FaultTarget::Kind::member:
    case FaultTarget::Kind::range: {
      const std::uint32_t first = target.producers ? first_producer_[target.group] : first_consumer_[target.group];
      for (std::uint32_t i = target.first; i <= target.last; ++i) members.push_back(first + i);
      break;
    }
    case FaultTarget::Kind::any_consumer: {
      std::vector<std::uint32_t> alive;
      for (std::uint32_t c = 0; c < down_.size(); ++c) {
        if (!down_[c]) alive.push_back(c);
      }
      if (!alive.empty()) members.push_back(alive[rng.next_below(alive.size())]);
      break;
    }
    case FaultTarget::Kind::all: {
      const std::size_t count = target.producers ? producer_count_ : down_.size();
      for (std::uint32_t m = 0; m < count; ++m) members.push_back(m);
      break;
    }
    case FaultTarget::Kind::broker:
      members.push_back(target.first);
      break;
    case FaultTarget::Kind::leader:
      break;
  }
  return members;
}

std::optional<FaultOccurrence> FaultPlan::next() {
  while (!pending_.empty()) {
    std::pop_heap(pending_.begin(), pending_.end(), std::greater<>());
    const Pending p = pending_.back();
    pending_.pop_back();
    if (p.restart) {
      down_[p.index] = false;
      continue;
    }
    const FaultSpec& fault = scenario_.faults[p.index];
    RandomStream& rng = rngs_[p.index];
    FaultOccurrence occurrence{p.at, p.index, {}, fault.target.producers};
    switch (fault.action) {
      case FaultAction::partition:
      case FaultAction::drop:
      case FaultAction::delay:
        if (fault.all_clients) {
          occurrence.on_producers = fault.hop == Hop::producer_to_broker;
          const std::size_t count = occurrence.on_producers ? producer_count_ : down_.size();
          for (std::uint32_t m = 0; m < count; ++m) occurrence.members.push_back(m);
        } else {
          RandomStream unused(0);  // the simulator resolves a window's `any consumer` with a fresh stream
          occurrence.members = resolve(fault.target, unused);
        }
        break;
      case FaultAction::crash:
        for (std::uint32_t c : resolve(fault.target, rng)) {
          if (down_[c]) continue;
          down_[c] = true;
          occurrence.members.push_back(c);
          if (fault.restart_after) plan(p.at + *fault.restart_after, true, c);
        }
        break;
      case FaultAction::stall:
      case FaultAction::slow:
      case FaultAction::broker_crash:
      case FaultAction::producer_crash:
        occurrence.members = resolve(fault.target, rng);
        break;
    }
    if (fault.every) {
      const Time gap = fault.every->sample(rng);
      if (!fault.until || p.at + gap <= *fault.until) plan(p.at + gap, false, p.index);
    }
    return occurrence;
  }
  return std::nullopt;
}

}  // namespace qlab
