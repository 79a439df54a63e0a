// Simulated consumers: receiving, processing (service times, slow windows), acking, and their time in
// each phase (busy, idle, idle while work waits elsewhere, stalled, down).
#include "simulation_engine.hpp"

#include <algorithm>

namespace qlab::sim {

void SimulationEngine::join(Time now, std::uint32_t index) {
  SimConsumer& consumer = consumers_[index];
  SimConsumerCold& cold = consumer_cold_[index];
  const auto held = static_cast<std::uint32_t>(consumer.buffer.size() + (consumer.has_current ? 1 : 0));
  const std::uint32_t room = cold.prefetch > held ? cold.prefetch - held : 0;
  send(now, Hop::consumer_to_broker, consumer_client(index), to_broker_rng(index),
       Event{EventType::join_arrives, index, consumer.epoch, room, 0, {}, design_incarnation_});
}

void SimulationEngine::note_traced(MessageId id, Time now, const char* what, std::uint32_t consumer) {
  ledger_.note(id, now, what, consumer_name(consumer));
}

void SimulationEngine::drop_copy(Time now, const Delivery& delivery, LossCause cause) {
  --in_flight_;
  const bool design_keeps = design_info_->keeps_until_ack && broker_up();
  ledger_.on_copy_dropped(delivery.message(), design_keeps, cause, now);
}

QLAB_FLATTEN void SimulationEngine::deliver(Time now, std::uint32_t index, std::uint32_t epoch, const Delivery& delivery) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase == ConsumerPhase::down || consumer.epoch != epoch) {
    drop_copy(now, delivery, LossCause::consumer_crash);  // sent to a life that ended
    return;
  }
  if (consumer.phase == ConsumerPhase::idle && consumer.buffer.empty()) {
    consumer.current = delivery;  // as buffering it and starting the next: the buffer stays untouched
    start_current(now, index, consumer);
  } else {
    consumer.buffer.push_back(delivery);
    ++buffered_;
    if (consumer.phase == ConsumerPhase::idle) start_next(now, consumer);
  }
  update_waiting(now);
}

void SimulationEngine::start_next(Time now, SimConsumer& consumer) {
  if (consumer.buffer.empty()) return;
  --buffered_;
  consumer.current = consumer.buffer.pop_front();
  start_current(now, index_of(consumer), consumer);
}

void SimulationEngine::start_current(Time now, std::uint32_t index, SimConsumer& consumer) {
  consumer.has_current = true;
  Time service = scenario_.consumers[consumer.group].service.sample(consumer.service_rng);
  if (consumer.slowed) [[unlikely]] {
    const SimConsumerCold& cold = consumer_cold_[index];
    consumer.slowed = now < cold.slow_until;
    if (consumer.slowed) {  // capped as a sample is, so that done_at cannot overflow the clock
      service = static_cast<Time>(std::min(static_cast<double>(service) * cold.slow_factor, static_cast<double>(kMaxSample)));
    }
  }
  consumer.done_at = now + service;
  if (ledger_.tracing()) note_traced(consumer.current.id, now, "start:", index);
  set_phase(now, consumer, ConsumerPhase::busy);
  // The receipt rides along only so that the event before it can prefetch what its ack will touch.
  events_.schedule(consumer.done_at,
                   Event{EventType::service_done, index, consumer.work_token, 0, consumer.current.receipt, {}});
}

QLAB_FLATTEN void SimulationEngine::on_service_done(Time now, std::uint32_t index) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.current.poison) [[unlikely]] {
    on_processing_failed(now, index);
    return;
  }
  if (const double p = scenario_.consumers[consumer.group].failure.p; p > 0 && failure_rngs_[index].next_open01() < p)
      [[unlikely]] {
    on_processing_failed(now, index);
    return;
  }
  const Delivery finished = consumer.current;
  consumer.has_current = false;
  --in_flight_;
  ++consumer.processed;
  series_.on_processed();
  const bool first = ledger_.on_processed(finished.message(), now);
  if (!autoscalers_.empty() && autoscalers_[consumer.group]) {
    autoscalers_[consumer.group]->on_processed(now - finished.published_at);
  }
  if (ledger_.tracing()) note_traced(finished.id, now, "done:", index);
  // A delivery from a broker life that has ended cannot be acked (that broker forgot it); the pull stands.
  const Receipt ack_receipt = finished.incarnation == design_incarnation_ ? finished.receipt : 0;
  const std::uint32_t late = !first && ack_receipt != 0 ? kLateAck : 0;
  if (late == kLateAck) ++late_acks_out_;
  // Start the next buffered message before replying, so a delivery the reply triggers queues behind it.
  set_phase(now, consumer, ConsumerPhase::idle);
  start_next(now, consumer);
  update_waiting(now);
  send(now, Hop::consumer_to_broker, consumer_client(index), to_broker_rng(index),
       Event{EventType::reply_arrives, index, late, pull_credit_after(index), ack_receipt, {}, design_incarnation_});
}

void SimulationEngine::on_processing_failed(Time now, std::uint32_t index) {
  SimConsumer& consumer = consumers_[index];
  const FailureSpec& failure = scenario_.consumers[consumer.group].failure;
  const Delivery failed = consumer.current;
  ledger_.on_failed_processing(failed.message(), now);
  if (failure.action == FailureAction::crash) {
    FaultSpec crash;  // as a crash fault: what it holds is dropped, the design told, a restart planned
    crash.restart_after = failure.restart_after;
    crash_consumer(now, index, crash);
    return;
  }
  consumer.has_current = false;
  --in_flight_;
  // A design that handed the message over keeps nothing to try again: the failure ends it. A keeping design
  // that crashed since the delivery kept nothing either: this copy was one of the last (as drop_copy).
  const bool current_life = broker_up() && failed.incarnation == design_incarnation_;
  if (!design_info_->keeps_until_ack) {
    ledger_.on_dropped(failed.message(), now, DiscardCause::failed);
  } else if (!current_life) {
    ledger_.on_copy_dropped(failed.message(), false, LossCause::broker_crash, now);
  }
  set_phase(now, consumer, ConsumerPhase::idle);
  start_next(now, consumer);
  update_waiting(now);
  // release: nack it so it is redelivered; timeout: say nothing, the design redelivers it when its time is up.
  const bool release = failure.action == FailureAction::release && current_life;
  send(now, Hop::consumer_to_broker, consumer_client(index), to_broker_rng(index),
       Event{EventType::reply_arrives, index, release ? kReleaseReply : 0, pull_credit_after(index), release ? failed.receipt : 0, {},
             design_incarnation_});
}

void SimulationEngine::set_phase(Time now, SimConsumer& consumer, ConsumerPhase phase) {
  const ConsumerPhase left = consumer.phase;
  if (left == ConsumerPhase::idle) consumer.idle_with_backlog += waiting_clock(now);
  if (left == ConsumerPhase::busy) {
    consumer.busy += now;
    --busy_count_;
  }
  if (phase == ConsumerPhase::idle) consumer.idle_with_backlog -= waiting_clock(now);
  if (phase == ConsumerPhase::busy) {
    consumer.busy -= now;
    ++busy_count_;
  }
  if ((left == ConsumerPhase::down) != (phase == ConsumerPhase::down)) {
    alive_count_ += phase == ConsumerPhase::down ? -1 : 1;
    consumer_cold_[index_of(consumer)].alive += phase == ConsumerPhase::down ? now : -now;
  }
  consumer.phase = phase;
}

void SimulationEngine::close_phases(Time end) {
  for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
    SimConsumer& consumer = consumers_[c];
    if (consumer.phase == ConsumerPhase::idle) consumer.idle_with_backlog += waiting_clock(end);
    if (consumer.phase == ConsumerPhase::busy) consumer.busy += end;
    if (consumer.phase != ConsumerPhase::down) consumer_cold_[c].alive += end;
  }
}

}  // namespace qlab::sim
