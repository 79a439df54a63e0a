#include "simulation_engine.hpp"

#include <algorithm>
#include <chrono>

#include "core/check.hpp"
#include "core/member_name.hpp"
#include "core/stream_family.hpp"
#include "metrics/group_figures.hpp"

namespace qlab::sim {

SimulationEngine::SimulationEngine(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options)
    : scenario_(scenario),
      options_(options),
      repetition_(repetition),
      seed_(repetition_seed(scenario.seed, repetition)),
      design_info_(find_design(scenario.queue.design)),
      zero_latency_(scenario.network.latency.is_constant() && scenario.network.latency.mean() == 0 &&
                    scenario.network.bandwidth == 0),
      ns_per_byte_(scenario.network.bandwidth > 0 ? 1e9 / scenario.network.bandwidth : 0),
      ledger_(scenario.warmup, options.trace, design_info_ != nullptr && design_info_->forgets_settled && !options.trace),
      series_(scenario.metrics_interval) {
  ledger_.track_groups(scenario.producers.size());
  QLAB_CHECK(design_info_ != nullptr, "the scenario names an unknown design (the loader should have refused it)");
  design_params_ = with_defaults(*design_info_, queue_for_run(scenario).params);
  design_ = design_info_->make(design_params_, RandomStream::derive(seed_, "queue"));
  design_backlog_ = static_cast<std::int64_t>(design_->backlog());
  availability_varies_ = design_->node_count() > 1;
  open_broker_record_.assign(design_->node_count(), SIZE_MAX);
  if (scenario.broker.costs()) station_ = std::make_unique<BrokerStation<Event>>(scenario.broker.threads, scenario.warmup);
  // Reserved: growing would move every consumer (100,000 of them for large systems).
  std::size_t producer_count = 0;
  std::size_t consumer_count = 0;
  for (const ProducerGroup& group : scenario.producers) producer_count += group.count;
  for (const ConsumerGroup& group : scenario.consumers) consumer_count += group.count;
  producers_.reserve(producer_count);
  QLAB_CHECK(scenario.producers.size() <= Delivery::kOriginLimit, "more producer groups than a delivery can name");
  consumers_.reserve(consumer_count);
  consumer_cold_.reserve(consumer_count);
  if (!zero_latency_) consumer_network_.reserve(consumer_count);  // only hop_delay() draws from them
  const bool failures = std::any_of(scenario.consumers.begin(), scenario.consumers.end(),
                                    [](const ConsumerGroup& group) { return group.failure.p > 0; });
  if (failures) failure_rngs_.reserve(consumer_count);
  // Streams from families and names written in place: these loops run 100,000 times for large systems.
  for (std::size_t g = 0; g < scenario.producers.size(); ++g) {
    const ProducerGroup& group = scenario.producers[g];
    producers_retry_ = producers_retry_ || group.on_unavailable == OnUnavailable::retry;
    group_first_producer_.push_back(static_cast<std::uint32_t>(producers_.size()));
    const StreamFamily group_streams = StreamFamily(seed_, "producer/").then(group.name).then("/");
    for (std::uint32_t i = 0; i < group.count; ++i) {
      const StreamFamily streams = group_streams.numbered(i);
      producers_.push_back(SimProducer{.name = member_name(group.name, i),
                                       .group = g,
                                       .index = i,
                                       .arrivals = ArrivalProcess(group, scenario.duration, streams.derive("/arrivals")),
                                       .size_rng = streams.derive("/sizes"),
                                       .network_rng = streams.derive("/network"),
                                       .key_rng = streams.derive("/keys"),
                                       .poison_rng = streams.derive("/poison")});
    }
  }
  for (std::size_t g = 0; g < scenario.consumers.size(); ++g) {
    const ConsumerGroup& group = scenario.consumers[g];
    group_first_consumer_.push_back(static_cast<std::uint32_t>(consumers_.size()));
    const StreamFamily group_streams = StreamFamily(seed_, "consumer/").then(group.name).then("/");
    for (std::uint32_t i = 0; i < consumer_slots(group); ++i) {
      const StreamFamily streams = group_streams.numbered(i);
      SimConsumer& c = consumers_.emplace_back();
      consumer_cold_.emplace_back().prefetch = group.prefetch;
      c.group = static_cast<std::uint32_t>(g);
      c.service_rng = streams.derive("/service");
      if (!zero_latency_) consumer_network_.push_back({streams.derive("/network-out"), streams.derive("/network-in")});
      if (i >= group.count) c.phase = ConsumerPhase::down;  // parked: an autoscaler may start it
      if (failures) failure_rngs_.push_back(group.failure.p > 0 ? streams.derive("/failure") : RandomStream());
    }
  }
  prefetching_ = consumers_.size() * sizeof(SimConsumer) > 64 * 1024;
  open_crash_record_.assign(consumers_.size(), SIZE_MAX);
  open_producer_record_.assign(producers_.size(), SIZE_MAX);
  const StreamFamily fault_streams(seed_, "fault/");
  for (std::size_t f = 0; f < scenario.faults.size(); ++f) fault_rngs_.push_back(fault_streams.numbered(f).derive());
}

RunResult SimulationEngine::run() {
  set_check_seed(seed_);
  const auto wall_start = std::chrono::steady_clock::now();

  // Consumers join and open their pulls at time 0; producers start; faults are armed.
  for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
    if (consumers_[c].phase == ConsumerPhase::down) continue;
    ++alive_count_;
    join(0, c);
  }
  start_autoscaling();
  active_producers_ = producers_.size();
  for (std::uint32_t p = 0; p < producers_.size(); ++p) schedule_next_publish(0, p);
  if (active_producers_ == 0) end_publishing(0);
  if (!scenario_.drain && scenario_.duration) stop_check_at_ = *scenario_.duration;
  if (options_.events_done) report_at_ = 0x10000;
  for (std::uint32_t f = 0; f < scenario_.faults.size(); ++f) {
    const FaultSpec& fault = scenario_.faults[f];
    const Time first = fault.at ? *fault.at : fault.every->sample(fault_rngs_[f]);
    if (!fault.until || first <= *fault.until) events_.schedule(first, Event{EventType::fault_fires, f, 0, 0, 0, {}});
  }

  Time now = 0;
  Time end = 0;
  while (true) {
    if (events_.empty()) {
      end = now;
      break;
    }
    const Time next = events_.next_time();
    if (next > stop_check_at_) {  // one comparison on every event instead of the two below
      if (!scenario_.drain && scenario_.duration && next > *scenario_.duration) {
        end = *scenario_.duration;
        break;
      }
      if (publishing_end_ != kNever && next > publishing_end_ + scenario_.drain_timeout) {
        end = publishing_end_ + scenario_.drain_timeout;
        break;
      }
    }
    series_.observe(next, state());
    const auto due = events_.pop();
    if (prefetching_ && !events_.empty()) {
      prefetch_consumer(events_.next_compact(), due.compact.type);
      if (const PendingEvents::Compact* later = events_.ahead(1)) prefetch_for(*later);
    }
    now = due.time;
    dispatch_pending(now, due.compact);
    if (!recoveries_.empty()) check_recoveries(now);
    if (ledger_.retired_runs() > forget_above_runs_) [[unlikely]] forget_settled();
    if (publishing_end_ != kNever && (!scenario_.drain || everything_finished())) {
      end = now;
      break;
    }
    if (dispatched_ >= report_at_) report_progress();
  }
  if (options_.events_done) report_progress();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return collect(end, wall);
}

std::string SimulationEngine::consumer_name(std::uint32_t index) const {
  const std::uint32_t group = consumers_[index].group;
  return member_name(scenario_.consumers[group].name, index - group_first_consumer_[group]);
}

void SimulationEngine::report_progress() {
  options_.events_done->fetch_add(dispatched_ - reported_, std::memory_order_relaxed);
  reported_ = dispatched_;
  report_at_ = reported_ + 0x10000;
  if (options_.messages_done) {
    options_.messages_done->fetch_add(ledger_.created() - reported_messages_, std::memory_order_relaxed);
    reported_messages_ = ledger_.created();
  }
}

void SimulationEngine::dispatch(Time now, const Event& event) {
  ++dispatched_;
  switch (event.type) {
    case EventType::produce:
    case EventType::service_done:
      QLAB_CHECK(false, "a producer's publish or a completion runs from its compact form (dispatch_pending)");
      break;
    case EventType::producer_stops:
      on_producer_stops(now, producers_[event.entity]);
      break;
    case EventType::producer_restarts:
      on_producer_restarts(now, event.entity, event.token);
      break;
    case EventType::publish_arrives:
    case EventType::reply_arrives:
      reach_broker(now, event);
      break;
    case EventType::publish_retry:
      on_publish_retry(now, event);
      break;
    case EventType::delivery_arrives:
      on_delivery_arrives(now, event);
      break;
    case EventType::join_arrives:
      on_join_arrives(now, event);
      break;
    case EventType::design_timer:
      on_design_timer(now, event.token);
      break;
    case EventType::fault_fires:
      on_fault(now, event.entity);
      break;
    case EventType::window_closes:
      on_window_closes(now, event.entity);
      break;
    case EventType::stall_ends:
      on_stall_ends(now, event.entity, event.token);
      break;
    case EventType::consumer_restarts:
      on_consumer_restarts(now, event.entity, event.token);
      break;
    case EventType::broker_restarts:
      on_broker_restarts(now, event.entity);
      break;
    case EventType::autoscale_tick:
      on_autoscale_tick(now, event.entity);
      break;
    case EventType::consumer_starts:
      on_consumer_starts(now, event.entity, event.token);
      break;
    case EventType::broker_done:
      on_broker_done(now, event.entity);
      break;
  }
}

void SimulationEngine::on_join_arrives(Time now, const Event& event) {
  if (!broker_up() || event.incarnation != design_incarnation_ || consumers_[event.entity].epoch != event.token) return;
  with_design(now, [&](ActionBuffer& out) {
    design_->on_consumer_joined(now, event.entity, out);
    if (event.count != 0) design_->on_pull(now, event.entity, event.count, out);
  });
}

void SimulationEngine::send_through_faults(Time now, Hop hop, std::uint32_t client, RandomStream& rng, Event event) {
  Time delay = zero_latency_ ? 0 : hop_delay(rng, event);
  for (std::size_t w : hop_windows_) {
    const ActiveWindow& window = windows_[w];
    if (!window.clients[client]) continue;
    const FaultSpec& fault = scenario_.faults[window.fault];
    switch (fault.action) {
      case FaultAction::partition:
        // TCP holds what it cannot send and delivers it once the partition heals.
        delay = std::max(delay, fault_windows_[window.record].end - now + delay);
        break;
      case FaultAction::drop:
        if (fault.hop != hop || fault_rngs_[window.fault].next_open01() >= fault.probability) break;
        switch (event.type) {
          case EventType::publish_arrives:
            ledger_.on_publish_lost(event.message, now, false);
            return;
          case EventType::delivery_arrives: {
            // The copy is gone; the consumer's long-poll comes back empty and it pulls again. The renewed
            // pull is an event of its own: the design may be applying the very actions that sent this.
            drop_copy(now, Delivery(event.message, event.receipt), LossCause::network);
            SimConsumer& consumer = consumers_[event.entity];
            if (consumer.phase != ConsumerPhase::down && consumer.epoch == event.token) {
              events_.schedule(now + delay, Event{EventType::reply_arrives, event.entity, 0, 1, 0, {}, design_incarnation_});
            }
            return;
          }
          case EventType::reply_arrives:
            event.receipt = 0;  // the ack is lost; the pull's credit rides along regardless
            break;
          default:
            break;
        }
        break;
      case FaultAction::delay:
        if (fault.hop == hop) delay += fault.extra.sample(fault_rngs_[window.fault]);
        break;
      default:
        break;
    }
  }
  if (delay == 0) {
    dispatch(now, event);
  } else {
    events_.schedule(now + delay, event);
  }
}

// ---- accounting ------------------------------------------------------------------------------

SystemState SimulationEngine::state() const {
  return SystemState{design_backlog_, in_flight_, busy_count_, alive_count_};
}

bool SimulationEngine::everything_finished() const {
  return ledger_.published() + ledger_.publish_side_losses() == sent_ && ledger_.unfinished() == 0 && in_flight_ == 0 &&
         late_acks_out_ == 0;
}

void SimulationEngine::check_recoveries(Time now) {
  const std::uint64_t in_system = ledger_.unfinished();
  std::erase_if(recoveries_, [&](const PendingRecovery& r) {
    if (now < r.healed || in_system > r.level) return false;
    recovery_times_.push_back(now - r.start);
    return true;
  });
}

void SimulationEngine::forget_settled() {
  MessageId oldest = design_ ? design_->oldest_referable() : kNoMessage;
  for (const SimConsumer& c : consumers_) {
    if (c.has_current) oldest = std::min(oldest, c.current.id);
    for (const Delivery& d : c.buffer) oldest = std::min(oldest, d.id);
  }
  const auto note_carried = [&oldest](const Event& e) {
    if (carries_message(e.type)) oldest = std::min(oldest, e.message.id);
  };
  events_.for_each(note_carried);
  if (station_) station_->for_each(note_carried);
  for (const auto& entry : awaiting_confirmation_) oldest = std::min(oldest, entry.first);
  ledger_.forget_below(oldest);
  // Doubling: a message that stays in the system for long keeps older fates, and the search is then
  // amortised over as many new runs as are kept.
  forget_above_runs_ = std::max(kForgetAboveRuns, 2 * ledger_.retired_runs());
}

void SimulationEngine::audit_custody(std::uint64_t remaining) const {
  // Every unfinished message must be somewhere: held by the design, at a consumer, or on its way to one.
  // Memory in proportion to the copies found, not to the messages ever created.
  std::vector<MessageId> found;
  const auto mark = [&](const Message& m) {
    if (ledger_.accepted(m.id) && !ledger_.finished(m.id)) found.push_back(m.id);
  };
  if (design_) design_->for_each_held(mark);
  for (const SimConsumer& c : consumers_) {
    if (c.has_current) mark(c.current.message());
    for (const Delivery& d : c.buffer) mark(d.message());
  }
  // On its way to a consumer includes a life that has ended: the copy is dropped (lost) only when it arrives.
  for_each_delivery_under_way([&](const Event& e) { mark(e.message); });
  std::sort(found.begin(), found.end());
  const auto distinct = static_cast<std::uint64_t>(std::unique(found.begin(), found.end()) - found.begin());
  QLAB_CHECK(distinct == remaining, "an unfinished message is nowhere in the system");
}

RunResult SimulationEngine::collect(Time end, double wall_seconds) {
  close_phases(end);
  for (FaultWindow& w : fault_windows_) {
    if (w.end < 0) w.end = end;  // never healed; a scheduled end past the run's is kept as scheduled
  }
  update_availability(end);
  if (!available_) unavailable_total_ += end - unavailable_since_;
  for (const PendingRecovery& r : recoveries_) recovery_times_.push_back(end - r.start);  // never recovered
  const std::uint64_t remaining = ledger_.audit();
  audit_custody(remaining);

  RunResult result;
  result.repetition = repetition_;
  result.seed = seed_;
  ledger_.append_metrics(result.metrics, remaining);
  const auto add = [&result](const char* key, double value) { result.metrics.push_back({key, value}); };
  const Time window = end - scenario_.warmup;
  const std::uint64_t in_window = ledger_.processed_in_window();
  add("throughput", window > 0 && in_window > 0 ? static_cast<double>(in_window) / to_seconds(window) : kNoSamples);
  add("makespan",
      ledger_.last_completion() >= 0 ? to_seconds(ledger_.last_completion() - ledger_.first_publish()) : kNoSamples);
  Time busy = 0;
  Time alive = 0;
  Time idle_backlog = 0;
  result.consumers.reserve(consumers_.size());
  for (std::size_t i = 0; i < consumers_.size(); ++i) {
    const SimConsumer& c = consumers_[i];
    const SimConsumerCold& cold = consumer_cold_[i];
    busy += c.busy;
    alive += cold.alive;
    idle_backlog += c.idle_with_backlog;
    result.consumers.push_back(ConsumerFigures{consumer_name(static_cast<std::uint32_t>(i)), scenario_.consumers[c.group].name,
                                               c.busy, cold.alive, c.idle_with_backlog, c.processed});
  }
  add("utilization_mean", alive > 0 ? static_cast<double>(busy) / static_cast<double>(alive) : kNoSamples);
  add("idle_with_backlog", alive > 0 ? static_cast<double>(idle_backlog) / static_cast<double>(alive) : kNoSamples);
  if (station_) {  // only with a `broker:` cost, so that results without one stay as they were
    add("broker_utilization", station_->utilization(end));
    add("broker_queueing_delay", station_->mean_wait() / static_cast<double>(kSecond));
  }
  ledger_.append_loss_metrics(result.metrics);
  ledger_.append_failure_metrics(result.metrics);
  add("unavailable_seconds", to_seconds(unavailable_total_));
  if (!autoscalers_.empty()) append_autoscale_metrics(end, result.metrics);
  Time recovery_sum = 0;
  for (Time t : recovery_times_) recovery_sum += t;
  add("recovery_time",
      recovery_times_.empty() ? kNoSamples : to_seconds(recovery_sum) / static_cast<double>(recovery_times_.size()));
  add("faults", static_cast<double>(fault_windows_.size()));
  add("duration_simulated", to_seconds(end));
  add("warmup", to_seconds(scenario_.warmup));
  add("events", static_cast<double>(dispatched_));
  add("wall_seconds", wall_seconds);
  add("events_per_second", wall_seconds > 0 ? static_cast<double>(dispatched_) / wall_seconds : kNoSamples);

  for (std::size_t g = 0; g < scenario_.producers.size(); ++g) {
    const MessageLedger::GroupTally tally = ledger_.group(g);
    result.producer_groups.push_back(producer_group_figures(scenario_.producers[g].name, tally.latency, tally.published,
                                                            tally.processed_in_window, to_seconds(window)));
  }
  result.consumer_groups = consumer_group_figures(result.consumers, fault_windows_, to_seconds(window));
  result.latency = ledger_.latency();
  result.wait = ledger_.wait();
  result.series = series_.finish(end, state());
  append_burst_drain_time(end, result);
  result.faults = std::move(fault_windows_);
  result.trace = ledger_.take_trace();
  return result;
}

}  // namespace qlab::sim
