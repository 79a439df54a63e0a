// Fault injection: the fault actions of docs/FAULTS.md at fixed times or recurring, each recorded as a window
// (for plots) and as a pending recovery (for `recovery_time`).
#include "core/check.hpp"
#include "simulation_engine.hpp"

namespace qlab::sim {

std::vector<std::uint32_t> SimulationEngine::resolve_members(const FaultTarget& target, RandomStream& rng) const {
  const std::uint32_t first = target.producers ? group_first_producer_[target.group] : group_first_consumer_[target.group];
  std::vector<std::uint32_t> members;
  switch (target.kind) {
    case FaultTarget::Kind::group:
    case FaultTarget::Kind::member:
    case FaultTarget::Kind::range:
      for (std::uint32_t i = target.first; i <= target.last; ++i) members.push_back(first + i);
      break;
    case FaultTarget::Kind::any_consumer: {
      std::vector<std::uint32_t> alive;
      for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
        if (consumers_[c].phase != ConsumerPhase::down) alive.push_back(c);
      }
      if (!alive.empty()) members.push_back(alive[rng.next_below(alive.size())]);
      break;
    }
    case FaultTarget::Kind::all: {
      const std::size_t count = target.producers ? producers_.size() : consumers_.size();
      for (std::uint32_t m = 0; m < count; ++m) members.push_back(m);
      break;
    }
    case FaultTarget::Kind::broker:
      members.push_back(target.first);
      break;
    case FaultTarget::Kind::leader:
      if (design_) members.push_back(design_->leader());
      break;
  }
  return members;
}

std::vector<bool> SimulationEngine::resolve_clients(const FaultSpec& fault) const {
  std::vector<bool> clients(producers_.size() + consumers_.size(), false);
  if (fault.all_clients) {
    const bool producer_side = fault.hop == Hop::producer_to_broker;
    for (std::size_t c = 0; c < clients.size(); ++c) clients[c] = producer_side == (c < producers_.size());
    return clients;
  }
  RandomStream unused(0);
  for (std::uint32_t member : resolve_members(fault.target, unused)) {
    clients[fault.target.producers ? member : consumer_client(member)] = true;
  }
  return clients;
}

std::size_t SimulationEngine::record_fault(Time now, const std::string& action, const std::string& target) {
  fault_windows_.push_back(FaultWindow{action, target, now, -1});
  return fault_windows_.size() - 1;
}

void SimulationEngine::close_fault_record(Time now, std::size_t record) {
  if (record == SIZE_MAX) return;
  fault_windows_[record].end = now;
  for (PendingRecovery& r : recoveries_) {
    if (r.record == record) r.healed = now;
  }
}

void SimulationEngine::on_fault(Time now, std::uint32_t fault_index) {
  const FaultSpec& fault = scenario_.faults[fault_index];
  RandomStream& rng = fault_rngs_[fault_index];
  const std::size_t first_record = fault_windows_.size();
  switch (fault.action) {
    case FaultAction::partition:
    case FaultAction::drop:
    case FaultAction::delay:
      open_window(now, fault_index, fault.target.text, resolve_clients(fault));
      break;
    case FaultAction::crash:
    case FaultAction::stall:
    case FaultAction::slow:
    case FaultAction::broker_crash:
    case FaultAction::producer_crash:
      for (std::uint32_t member : resolve_members(fault.target, rng)) strike(now, fault, member);
      break;
  }
  // Every window this occurrence opened is a fault to recover from.
  for (std::size_t r = first_record; r < fault_windows_.size(); ++r) {
    const Time end = fault_windows_[r].end;
    recoveries_.push_back(PendingRecovery{now, end < 0 ? kNever : end, ledger_.unfinished(), r});
  }
  if (fault.every) {
    const Time next = now + fault.every->sample(rng);
    if (!fault.until || next <= *fault.until) events_.schedule(next, Event{EventType::fault_fires, fault_index, 0, 0, 0, {}});
  }
}

void SimulationEngine::strike(Time now, const FaultSpec& fault, std::uint32_t member) {
  switch (fault.action) {
    case FaultAction::crash:
      crash_consumer(now, member, fault);
      break;
    case FaultAction::stall:
      stall_consumer(now, member, fault);
      break;
    case FaultAction::slow: {
      SimConsumerCold& cold = consumer_cold_[member];
      consumers_[member].slowed = true;
      cold.slow_until = now + fault.duration;
      cold.slow_factor = fault.factor;
      fault_windows_[record_fault(now, "slow", consumer_name(member))].end = now + fault.duration;
      break;
    }
    case FaultAction::broker_crash:
      crash_broker_node(now, member, fault);
      break;
    case FaultAction::producer_crash:
      crash_producer(now, member, fault);
      break;
    case FaultAction::partition:
    case FaultAction::drop:
    case FaultAction::delay:
      QLAB_CHECK(false, "window faults are opened whole, not per member");
      break;
  }
}

void SimulationEngine::crash_consumer(Time now, std::uint32_t index, const FaultSpec& fault) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase == ConsumerPhase::down) return;  // already dead: nothing more to kill
  if (consumer.has_current) {
    drop_copy(now, consumer.current, LossCause::consumer_crash);
    consumer.has_current = false;
  }
  for (const Delivery& d : consumer.buffer) drop_copy(now, d, LossCause::consumer_crash);
  buffered_ -= static_cast<std::int64_t>(consumer.buffer.size());
  consumer.buffer.clear();
  ++consumer.epoch;
  ++consumer.work_token;
  set_phase(now, consumer, ConsumerPhase::down);
  // The broker sees the connection drop at once (a reset), whatever the latency of data.
  if (broker_up()) with_design(now, [&](ActionBuffer& out) { design_->on_consumer_lost(now, index, out); });
  update_waiting(now);
  open_crash_record_[index] = record_fault(now, "crash", consumer_name(index));
  if (fault.restart_after) {
    events_.schedule(now + *fault.restart_after, Event{EventType::consumer_restarts, index, consumer.epoch, 0, 0, {}});
    fault_windows_[open_crash_record_[index]].end = now + *fault.restart_after;
  }
}

void SimulationEngine::on_consumer_restarts(Time now, std::uint32_t index, std::uint32_t epoch) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase != ConsumerPhase::down || consumer.epoch != epoch) return;
  ++consumer.epoch;
  set_phase(now, consumer, ConsumerPhase::idle);
  close_fault_record(now, open_crash_record_[index]);
  open_crash_record_[index] = SIZE_MAX;
  update_waiting(now);
  join(now, index);
}

void SimulationEngine::stall_consumer(Time now, std::uint32_t index, const FaultSpec& fault) {
  SimConsumer& consumer = consumers_[index];
  SimConsumerCold& cold = consumer_cold_[index];
  if (consumer.phase == ConsumerPhase::down || consumer.phase == ConsumerPhase::stalled) return;
  if (consumer.has_current) {
    cold.remaining_service = consumer.done_at - now;
    ++consumer.work_token;
  }
  set_phase(now, consumer, ConsumerPhase::stalled);
  fault_windows_[record_fault(now, "stall", consumer_name(index))].end = now + fault.duration;
  events_.schedule(now + fault.duration, Event{EventType::stall_ends, index, ++cold.stall_token, 0, 0, {}});
}

void SimulationEngine::on_stall_ends(Time now, std::uint32_t index, std::uint32_t token) {
  SimConsumer& consumer = consumers_[index];
  SimConsumerCold& cold = consumer_cold_[index];
  if (consumer.phase != ConsumerPhase::stalled || cold.stall_token != token) return;
  if (cold.rejoin_on_resume) {
    cold.rejoin_on_resume = false;
    join(now, index);
  }
  if (consumer.has_current) {
    consumer.done_at = now + cold.remaining_service;
    set_phase(now, consumer, ConsumerPhase::busy);
    events_.schedule(consumer.done_at, Event{EventType::service_done, index, consumer.work_token, 0, 0, {}});
  } else {
    set_phase(now, consumer, ConsumerPhase::idle);
    start_next(now, consumer);
  }
  update_waiting(now);
}

void SimulationEngine::crash_producer(Time now, std::uint32_t index, const FaultSpec& fault) {
  SimProducer& producer = producers_[index];
  if (producer.down || !producer.active) return;
  producer.down = true;
  ++producer.epoch;
  open_producer_record_[index] = record_fault(now, "producer_crash", producer.name);
  if (fault.restart_after) {
    events_.schedule(now + *fault.restart_after, Event{EventType::producer_restarts, index, producer.epoch, 0, 0, {}});
    fault_windows_[open_producer_record_[index]].end = now + *fault.restart_after;
  } else {
    on_producer_stops(now, producer);
  }
}

void SimulationEngine::on_producer_restarts(Time now, std::uint32_t index, std::uint32_t epoch) {
  SimProducer& producer = producers_[index];
  if (!producer.down || producer.epoch != epoch) return;
  producer.down = false;
  producer.arrivals.on_restart(now);
  close_fault_record(now, open_producer_record_[index]);
  open_producer_record_[index] = SIZE_MAX;
  if (scenario_.duration && now >= *scenario_.duration) {
    on_producer_stops(now, producer);
  } else {
    schedule_next_publish(now, index);
  }
}

void SimulationEngine::open_window(Time now, std::size_t fault_index, const std::string& target, std::vector<bool> clients) {
  const FaultSpec& fault = scenario_.faults[fault_index];
  const std::size_t record = record_fault(now, fault_action_name(fault.action), target);
  fault_windows_[record].end = now + fault.duration;
  windows_.push_back(ActiveWindow{fault_index, record, std::move(clients)});
  hop_windows_.push_back(windows_.size() - 1);
  events_.schedule(now + fault.duration,
                   Event{EventType::window_closes, static_cast<std::uint32_t>(windows_.size() - 1), 0, 0, 0, {}});
}

void SimulationEngine::on_window_closes(Time now, std::uint32_t window) {
  std::erase(hop_windows_, static_cast<std::size_t>(window));
  close_fault_record(now, windows_[window].record);
}

}  // namespace qlab::sim
