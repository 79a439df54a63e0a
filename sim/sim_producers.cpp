// Simulated producers: arrival processes, publishing, and the broker's reception of publishes.
#include "simulation_engine.hpp"

namespace qlab::sim {
namespace {

// A replayed arrival keeps the key and size the trace recorded (the size draw is still made, so that the
// streams stay aligned with a run without them).
void apply_trace_row(const ArrivalTrace& trace, std::size_t row, Message& message) {
  if (!trace.keys.empty()) message.key = trace.keys[row];
  if (!trace.sizes.empty()) message.size = trace.sizes[row];
}

}  // namespace

void SimulationEngine::schedule_next_publish(Time now, std::uint32_t index) {
  SimProducer& producer = producers_[index];
  if (producer.arrivals.left() == 0) {
    on_producer_stops(now, producer);
    return;
  }
  if (const Time next = producer.arrivals.next(now); next != kNever) {
    events_.schedule(next, Event{EventType::produce, index, producer.epoch, 0, 0, {}});
  } else if (scenario_.duration) {  // the next arrival would fall at or after the duration
    events_.schedule(std::max(now, *scenario_.duration), Event{EventType::producer_stops, index, 0, 0, 0, {}});
  } else {  // a trace ended, or the rate schedule stays at 0
    on_producer_stops(now, producer);
  }
}

QLAB_FLATTEN void SimulationEngine::on_produce(Time now, std::uint32_t index, std::uint32_t epoch) {
  SimProducer& producer = producers_[index];
  if (producer.down || producer.epoch != epoch) return;  // crashed since this was planned
  const ProducerGroup& group = scenario_.producers[producer.group];
  const std::uint64_t burst = group.arrival == Arrival::batch ? producer.arrivals.left() : 1;
  for (std::uint64_t i = 0; i < burst; ++i) publish_one(now, producer, index);
  schedule_next_publish(now, index);
}

void SimulationEngine::publish_one(Time now, SimProducer& producer, std::uint32_t index) {
  const ProducerGroup& group = scenario_.producers[producer.group];
  Message message;
  message.id = ledger_.on_created(now);
  message.published_at = now;
  message.key = mix64((static_cast<std::uint64_t>(producer.group) << 48) ^
                      (static_cast<std::uint64_t>(producer.index) << 32) ^ producer.arrivals.sent());
  message.size = static_cast<std::uint32_t>(group.size.sample(producer.size_rng));
  if (group.keys) message.key = group.keys->sample(producer.key_rng);
  if (group.trace) apply_trace_row(*group.trace, producer.arrivals.trace_row(), message);
  message.origin = static_cast<std::uint32_t>(producer.group);
  if (group.poison > 0) message.poison = producer.poison_rng.next_open01() < group.poison;
  producer.arrivals.on_published();
  ++sent_;
  series_.on_published();
  send(now, Hop::producer_to_broker, index, producer.network_rng,
       Event{EventType::publish_arrives, index, producer.epoch, 0, 0, message});
}

void SimulationEngine::on_producer_stops(Time now, SimProducer& producer) {
  if (!producer.active) return;
  producer.active = false;
  if (--active_producers_ == 0) end_publishing(now);
}

void SimulationEngine::end_publishing(Time now) {
  publishing_end_ = now;
  stop_check_at_ = std::min(stop_check_at_, now + scenario_.drain_timeout);
}

QLAB_FLATTEN void SimulationEngine::on_publish_arrives(Time now, const Event& event) {
  const SimProducer& producer = producers_[event.entity];
  if (producer.epoch != event.token) {
    // The producer crashed after sending: its connection reset, and the unconfirmed publish with it.
    ledger_.on_publish_lost(event.message, now, true);
    return;
  }
  ledger_.on_accepted(event.message, now);
  if (!broker_up()) {
    refuse_or_retry(now, event.entity, event.message, event.count + 1);
    return;
  }
  if (design_info_->confirms_publishes && producers_retry_) {
    awaiting_confirmation_[event.message.id] = {event.entity, event.count};
  }
  publishing_ = &event;  // a bounded queue may refuse it at once
  with_design(now, [&](ActionBuffer& out) { design_->on_publish(now, event.message, out); });
  publishing_ = nullptr;
  if (!design_info_->confirms_publishes) ledger_.on_confirmed_if_accepted(event.message, now);
}

void SimulationEngine::refuse_or_retry(Time now, std::uint32_t producer, const Message& message, std::uint32_t refused) {
  const ProducerGroup& group = scenario_.producers[producers_[producer].group];
  if (group.on_unavailable == OnUnavailable::retry) {
    const Time again = now + group.retry.delay(refused);
    if (again - message.published_at <= group.retry.limit) {
      ledger_.on_refused(message, now, true);
      events_.schedule(again, Event{EventType::publish_retry, producer, producers_[producer].epoch, refused, 0, message});
      return;
    }
  }
  ledger_.on_refused(message, now, false);
}

void SimulationEngine::on_publish_retry(Time now, const Event& event) {
  SimProducer& producer = producers_[event.entity];
  if (producer.epoch != event.token) {  // the producer crashed holding it
    ledger_.on_publish_lost(event.message, now, true);
    return;
  }
  send(now, Hop::producer_to_broker, event.entity, producer.network_rng,
       Event{EventType::publish_arrives, event.entity, producer.epoch, event.count, 0, event.message});
}

void SimulationEngine::append_burst_drain_time(Time end, RunResult& result) const {
  std::optional<Time> drop;
  for (const ProducerGroup& group : scenario_.producers) {
    if (!group.schedule) continue;
    const std::optional<Time> d = group.schedule->last_drop(scenario_.duration.value_or(end));
    if (d && (!drop || *d > *drop)) drop = d;
  }
  if (!drop) return;
  // The first sample at or after the drop with nothing waiting; the end of the run if there is none.
  Time drained = end;
  for (const TimeSeriesPoint& p : result.series) {
    if (p.t >= *drop && p.backlog == 0) {
      drained = p.t;
      break;
    }
  }
  result.metrics.push_back({"burst_drain_time", to_seconds(drained - *drop)});
}

}  // namespace qlab::sim
