// Autoscaled consumer groups: each has a slot per consumer up to its max; slots above the running count are
// parked (down). A scale-up starts parked slots, which join after the startup delay; a scale-down first
// cancels starting ones, then retires running ones (idle first): a retiring consumer withdraws its pull,
// finishes what it holds, and leaves once its last ack has reached the broker. A delivery the broker sent
// before the withdrawal that arrives after the consumer left is dropped as for a crashed consumer.
// Cost is `consumer_seconds`: every consumer's time alive plus the time spent starting.
#include <algorithm>

#include "simulation_engine.hpp"

namespace qlab::sim {

void SimulationEngine::start_autoscaling() {
  for (std::uint32_t g = 0; g < scenario_.consumers.size(); ++g) {
    const ConsumerGroup& group = scenario_.consumers[g];
    if (!group.autoscale) continue;
    autoscalers_.resize(scenario_.consumers.size());
    autoscalers_[g] = std::make_unique<Autoscaler>(*group.autoscale);
    events_.schedule(group.autoscale->interval, Event{EventType::autoscale_tick, g, 0, 0, 0, {}});
  }
}

void SimulationEngine::on_autoscale_tick(Time now, std::uint32_t g) {
  Autoscaler& scaler = *autoscalers_[g];
  const std::uint32_t first = group_first_consumer_[g];
  const std::uint32_t slots = consumer_slots(scenario_.consumers[g]);
  // Running (not leaving) and starting consumers: what the group is paying for from here on.
  std::uint32_t current = 0;
  for (std::uint32_t c = first; c < first + slots; ++c) {
    const SimConsumerCold& cold = consumer_cold_[c];
    if (cold.starting || (consumers_[c].phase != ConsumerPhase::down && !cold.retiring)) ++current;
  }
  const std::uint64_t backlog = design_ ? design_->backlog() : 0;
  const std::uint32_t desired = scaler.decide(now, current, backlog);
  const AutoscaleSpec& spec = scaler.spec();
  if (spec.slo && scaler.last_p99() && *scaler.last_p99() > *spec.slo) slo_violation_ += spec.interval;
  if (desired != current) ++scale_events_;
  for (std::uint32_t c = first; c < first + slots && current < desired; ++c) {
    // A parked slot: down, not on its way up, and not a crashed consumer waiting for its own restart.
    if (consumers_[c].phase != ConsumerPhase::down || consumer_cold_[c].starting || open_crash_record_[c] != SIZE_MAX) continue;
    start_consumer(now, c);
    ++current;
  }
  for (std::uint32_t c = first + slots; c-- > first && current > desired;) {  // newest first
    if (!consumer_cold_[c].starting) continue;
    consumer_cold_[c].starting = false;
    ++consumers_[c].epoch;  // voids its consumer_starts
    startup_time_ += now - consumer_cold_[c].starting_since;
    --current;
  }
  for (const bool idle_only : {true, false}) {
    for (std::uint32_t c = first + slots; c-- > first && current > desired;) {
      const SimConsumer& consumer = consumers_[c];
      if (consumer.phase == ConsumerPhase::down || consumer_cold_[c].retiring) continue;
      if (idle_only && consumer.phase != ConsumerPhase::idle) continue;
      retire_consumer(now, c);
      --current;
    }
  }
  events_.schedule(now + spec.interval, Event{EventType::autoscale_tick, g, 0, 0, 0, {}});
}

void SimulationEngine::start_consumer(Time now, std::uint32_t index) {
  const SimConsumer& consumer = consumers_[index];
  SimConsumerCold& cold = consumer_cold_[index];
  cold.starting = true;
  cold.retiring = false;
  cold.starting_since = now;
  const Time delay = scenario_.consumers[consumer.group].autoscale->startup_delay;
  events_.schedule(now + delay, Event{EventType::consumer_starts, index, consumer.epoch, 0, 0, {}});
}

void SimulationEngine::on_consumer_starts(Time now, std::uint32_t index, std::uint32_t epoch) {
  SimConsumerCold& cold = consumer_cold_[index];
  if (!cold.starting || consumers_[index].epoch != epoch) return;
  cold.starting = false;
  startup_time_ += now - cold.starting_since;
  on_consumer_restarts(now, index, epoch);  // as a restart: a fresh life that joins and pulls
}

void SimulationEngine::retire_consumer(Time now, std::uint32_t index) {
  consumer_cold_[index].retiring = true;
  if (broker_up()) with_design(now, [&](ActionBuffer& out) { design_->on_pull_cancelled(now, index, out); });
  leave_if_done(now, index);
}

void SimulationEngine::leave_if_done(Time now, std::uint32_t index) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase != ConsumerPhase::idle || consumer.has_current || !consumer.buffer.empty()) return;
  consumer_cold_[index].retiring = false;
  ++consumer.epoch;
  ++consumer.work_token;
  set_phase(now, consumer, ConsumerPhase::down);
  if (broker_up()) with_design(now, [&](ActionBuffer& out) { design_->on_consumer_lost(now, index, out); });
  update_waiting(now);
}

void SimulationEngine::append_autoscale_metrics(Time end, std::vector<Metric>& metrics) const {
  Time paid = startup_time_;
  for (const SimConsumerCold& c : consumer_cold_) {
    paid += c.alive;
    if (c.starting) paid += end - c.starting_since;
  }
  metrics.push_back({"consumer_seconds", to_seconds(paid)});
  metrics.push_back({"slo_violation_seconds", to_seconds(slo_violation_)});
  metrics.push_back({"scale_events", static_cast<double>(scale_events_)});
}

}  // namespace qlab::sim
