#include "simulation.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "metrics/time_series_recorder.hpp"
#include "queues/design_registry.hpp"
#include "event_list.hpp"
#include "message_ledger.hpp"
#include "sim_consumer.hpp"

namespace qlab::sim {
namespace {

enum class EventType : std::uint8_t {
  produce,          // a producer publishes its next message(s)
  producer_stops,   // a producer reaches the scenario's duration
  publish_arrives,  // a published message reaches the broker
  delivery_arrives, // a delivered message reaches its consumer
  reply_arrives,    // a consumer's ack (receipt != 0) and pull (count) reach the broker
  join_arrives,     // a (re)started consumer's hello and first pull reach the broker
  service_done,     // a consumer finishes processing its current message
  design_timer,     // the design's next_deadline()
  fault_fires,      // fault spec `entity` strikes
  consumer_restarts,
  stall_ends,
};

struct Event {
  EventType type;
  std::uint32_t entity = 0;  // producer, consumer or fault index
  std::uint32_t token = 0;   // epoch / work token / timer generation, to void stale events
  std::uint32_t count = 0;
  Receipt receipt = 0;
  Message message;
};

struct SimProducer {
  std::size_t group = 0;
  std::uint32_t index = 0;
  RandomStream arrival_rng;
  RandomStream size_rng;
  RandomStream network_rng;
  std::uint64_t left = 0;  // messages still to publish (UINT64_MAX: until the duration ends)
  std::uint64_t sent = 0;
  bool active = true;
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options);
  RunResult run();

 private:
  // Dispatch.
  void dispatch(Time now, const Event& event);
  void hop(Time now, RandomStream& rng, const Event& event);
  // Producers.
  void on_produce(Time now, SimProducer& producer);
  void publish_one(Time now, SimProducer& producer);
  void schedule_next_publish(Time now, std::uint32_t index);
  void on_producer_stops(Time now, SimProducer& producer);
  // Broker.
  template <class Input>
  void with_design(Time now, Input input);
  void apply_actions(Time now);
  void rearm_timer();
  // Consumers.
  void on_delivery_arrives(Time now, const Event& event);
  void start_next(Time now, SimConsumer& consumer);
  void on_service_done(Time now, std::uint32_t index);
  void set_phase(Time now, SimConsumer& consumer, ConsumerPhase phase);
  // Faults.
  void on_fault(Time now, std::uint32_t fault_index);
  void crash(Time now, std::uint32_t index, const FaultSpec& fault);
  void stall(Time now, std::uint32_t index, const FaultSpec& fault);
  void on_restart(Time now, std::uint32_t index, std::uint32_t epoch);
  void on_stall_ends(Time now, std::uint32_t index, std::uint32_t token);
  std::vector<std::uint32_t> resolve_targets(const FaultTarget& target, RandomStream& rng) const;
  // Accounting.
  void update_waiting(Time now);
  Time waiting_clock(Time now) const;
  SystemState state() const;
  bool everything_finished() const;
  void audit_custody(std::uint64_t remaining) const;
  RunResult collect(Time end, double wall_seconds);

  const Scenario& scenario_;
  const SimulationOptions& options_;
  std::uint32_t repetition_;
  std::uint64_t seed_;
  const DesignInfo* design_info_;
  std::unique_ptr<QueueDesign> design_;
  bool zero_latency_;

  EventList<Event> events_;
  std::vector<SimProducer> producers_;
  std::vector<SimConsumer> consumers_;
  std::vector<std::uint32_t> group_first_consumer_;
  std::vector<RandomStream> fault_rngs_;
  std::vector<FaultWindow> fault_windows_;
  std::vector<std::size_t> open_crash_window_;  // per consumer: index into fault_windows_, or npos

  ActionBuffer actions_;
  bool in_design_ = false;
  Time timer_at_ = kNever;
  std::uint32_t timer_generation_ = 0;

  MessageLedger ledger_;
  TimeSeriesRecorder series_;
  std::uint64_t dispatched_ = 0;
  std::uint64_t reported_ = 0;  // part of dispatched_ already added to options_.events_done
  std::uint64_t sent_ = 0;      // messages producers sent (accepted or still on their way)
  std::int64_t in_flight_ = 0;
  std::int64_t buffered_ = 0;
  std::int64_t busy_count_ = 0;
  std::int64_t alive_count_ = 0;
  bool waiting_ = false;
  Time waiting_since_ = 0;
  Time waiting_total_ = 0;
  std::size_t active_producers_ = 0;
  Time publishing_end_ = kNever;
};

Simulation::Simulation(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options)
    : scenario_(scenario),
      options_(options),
      repetition_(repetition),
      seed_(repetition_seed(scenario.seed, repetition)),
      design_info_(find_design(scenario.queue.design)),
      zero_latency_(scenario.network.latency.is_constant() && scenario.network.latency.mean() == 0),
      ledger_(scenario.warmup, options.trace),
      series_(scenario.metrics_interval) {
  QLAB_CHECK(design_info_ != nullptr, "the scenario names an unknown design (the loader should have refused it)");
  design_ = design_info_->make(with_defaults(*design_info_, scenario.queue.params),
                               RandomStream::derive(seed_, "queue"));
  for (std::size_t g = 0; g < scenario.producers.size(); ++g) {
    const ProducerGroup& group = scenario.producers[g];
    for (std::uint32_t i = 0; i < group.count; ++i) {
      const std::string name = "producer/" + group.name + "/" + std::to_string(i);
      producers_.push_back(SimProducer{g, i, RandomStream::derive(seed_, name + "/arrivals"),
                                       RandomStream::derive(seed_, name + "/sizes"),
                                       RandomStream::derive(seed_, name + "/network"),
                                       group.messages.value_or(UINT64_MAX), 0, true});
    }
  }
  for (std::size_t g = 0; g < scenario.consumers.size(); ++g) {
    const ConsumerGroup& group = scenario.consumers[g];
    group_first_consumer_.push_back(static_cast<std::uint32_t>(consumers_.size()));
    for (std::uint32_t i = 0; i < group.count; ++i) {
      const std::string name = group.name + "[" + std::to_string(i) + "]";
      const std::string stream = "consumer/" + group.name + "/" + std::to_string(i);
      SimConsumer c;
      c.name = name;
      c.group = g;
      c.prefetch = group.prefetch;
      c.service_rng = RandomStream::derive(seed_, stream + "/service");
      c.to_broker_rng = RandomStream::derive(seed_, stream + "/network-out");
      c.from_broker_rng = RandomStream::derive(seed_, stream + "/network-in");
      consumers_.push_back(std::move(c));
    }
  }
  open_crash_window_.assign(consumers_.size(), SIZE_MAX);
  for (std::size_t f = 0; f < scenario.faults.size(); ++f) {
    fault_rngs_.push_back(RandomStream::derive(seed_, "fault/" + std::to_string(f)));
  }
}

RunResult Simulation::run() {
  set_check_seed(seed_);
  const auto wall_start = std::chrono::steady_clock::now();

  // Consumers join and open their pulls at time 0; producers start; faults are armed.
  alive_count_ = static_cast<std::int64_t>(consumers_.size());
  for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
    hop(0, consumers_[c].to_broker_rng, Event{EventType::join_arrives, c, 0, consumers_[c].prefetch, 0, {}});
  }
  active_producers_ = producers_.size();
  for (std::uint32_t p = 0; p < producers_.size(); ++p) schedule_next_publish(0, p);
  if (active_producers_ == 0) publishing_end_ = 0;
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
    if (!scenario_.drain && scenario_.duration && next > *scenario_.duration) {
      end = *scenario_.duration;
      break;
    }
    if (publishing_end_ != kNever && next > publishing_end_ + scenario_.drain_timeout) {
      end = publishing_end_ + scenario_.drain_timeout;
      break;
    }
    if (series_.due(next)) series_.sample_until(next, state());
    const auto entry = events_.pop();
    now = entry.time;
    dispatch(now, entry.payload);
    if (publishing_end_ != kNever && (!scenario_.drain || everything_finished())) {
      end = now;
      break;
    }
    if (options_.events_done && dispatched_ - reported_ >= 0x10000) {
      options_.events_done->fetch_add(dispatched_ - reported_, std::memory_order_relaxed);
      reported_ = dispatched_;
    }
  }
  if (options_.events_done) options_.events_done->fetch_add(dispatched_ - reported_, std::memory_order_relaxed);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return collect(end, wall);
}

void Simulation::dispatch(Time now, const Event& event) {
  ++dispatched_;
  switch (event.type) {
    case EventType::produce:
      on_produce(now, producers_[event.entity]);
      break;
    case EventType::producer_stops:
      on_producer_stops(now, producers_[event.entity]);
      break;
    case EventType::publish_arrives:
      ledger_.on_accepted(event.message);
      series_.on_published();
      with_design(now, [&](ActionBuffer& out) { design_->on_publish(now, event.message, out); });
      break;
    case EventType::delivery_arrives:
      on_delivery_arrives(now, event);
      break;
    case EventType::reply_arrives:
      with_design(now, [&](ActionBuffer& out) {
        if (event.receipt != 0) design_->on_ack(now, event.entity, event.receipt, out);
        if (event.count != 0) design_->on_pull(now, event.entity, event.count, out);
      });
      break;
    case EventType::join_arrives:
      if (consumers_[event.entity].epoch != event.token) break;  // it crashed again on the way
      with_design(now, [&](ActionBuffer& out) {
        design_->on_consumer_joined(now, event.entity, out);
        design_->on_pull(now, event.entity, event.count, out);
      });
      break;
    case EventType::service_done:
      if (consumers_[event.entity].work_token == event.token &&
          consumers_[event.entity].phase == ConsumerPhase::busy) {
        on_service_done(now, event.entity);
      }
      break;
    case EventType::design_timer:
      if (event.token != timer_generation_) break;
      timer_at_ = kNever;
      if (design_->next_deadline() <= now) {
        with_design(now, [&](ActionBuffer& out) { design_->on_timer(now, out); });
      } else {
        rearm_timer();  // the deadline moved later since this timer was set
      }
      break;
    case EventType::fault_fires:
      on_fault(now, event.entity);
      break;
    case EventType::consumer_restarts:
      on_restart(now, event.entity, event.token);
      break;
    case EventType::stall_ends:
      on_stall_ends(now, event.entity, event.token);
      break;
  }
}

void Simulation::hop(Time now, RandomStream& rng, const Event& event) {
  if (zero_latency_) {
    dispatch(now, event);
  } else {
    events_.schedule(now + scenario_.network.latency.sample(rng), event);
  }
}

// ---- producers -------------------------------------------------------------------------------

void Simulation::schedule_next_publish(Time now, std::uint32_t index) {
  SimProducer& producer = producers_[index];
  const ProducerGroup& group = scenario_.producers[producer.group];
  if (producer.left == 0) {
    on_producer_stops(now, producer);
    return;
  }
  Time next = now;
  switch (group.arrival) {
    case Arrival::batch:
      next = group.at;
      break;
    case Arrival::poisson:
      next = now + Distribution::exponential(static_cast<double>(kSecond) / group.rate).sample(producer.arrival_rng);
      break;
    case Arrival::constant:
      // From the start time, not the previous message, so rounding never accumulates.
      next = static_cast<Time>(static_cast<double>(producer.sent + 1) * static_cast<double>(kSecond) / group.rate);
      break;
  }
  if (scenario_.duration && next >= *scenario_.duration) {
    events_.schedule(std::max(now, *scenario_.duration), Event{EventType::producer_stops, index, 0, 0, 0, {}});
  } else {
    events_.schedule(next, Event{EventType::produce, index, 0, 0, 0, {}});
  }
}

void Simulation::on_produce(Time now, SimProducer& producer) {
  const ProducerGroup& group = scenario_.producers[producer.group];
  const std::uint64_t burst = group.arrival == Arrival::batch ? producer.left : 1;
  for (std::uint64_t i = 0; i < burst; ++i) publish_one(now, producer);
  schedule_next_publish(now, static_cast<std::uint32_t>(&producer - producers_.data()));
}

void Simulation::publish_one(Time now, SimProducer& producer) {
  const ProducerGroup& group = scenario_.producers[producer.group];
  Message message;
  message.id = ledger_.on_created(now);
  message.published_at = now;
  message.key = mix64((static_cast<std::uint64_t>(producer.group) << 48) ^
                      (static_cast<std::uint64_t>(producer.index) << 32) ^ producer.sent);
  message.size = static_cast<std::uint32_t>(group.size.sample(producer.size_rng));
  ++producer.sent;
  ++sent_;
  if (producer.left != UINT64_MAX) --producer.left;
  hop(now, producer.network_rng, Event{EventType::publish_arrives, 0, 0, 0, 0, message});
}

void Simulation::on_producer_stops(Time now, SimProducer& producer) {
  if (!producer.active) return;
  producer.active = false;
  if (--active_producers_ == 0) publishing_end_ = now;
}

// ---- broker ----------------------------------------------------------------------------------

template <class Input>
void Simulation::with_design(Time now, Input input) {
  QLAB_CHECK(!in_design_, "the design was re-entered while its actions were applied");
  in_design_ = true;
  actions_.clear();
  input(actions_);
  apply_actions(now);
  in_design_ = false;
  rearm_timer();
  update_waiting(now);
}

void Simulation::apply_actions(Time now) {
  for (const Action& action : actions_) {
    switch (action.kind) {
      case ActionKind::deliver: {
        ledger_.on_delivered(action.message, action.consumer, now);
        ++in_flight_;
        SimConsumer& consumer = consumers_[action.consumer];
        hop(now, consumer.from_broker_rng,
            Event{EventType::delivery_arrives, action.consumer, consumer.epoch, 0, action.receipt, action.message});
        break;
      }
      case ActionKind::dead_letter:
        ledger_.on_dead_lettered(action.message);
        break;
      case ActionKind::ack_rejected:
      case ActionKind::ack_ignored:
        ledger_.on_stale_ack();
        break;
    }
  }
}

void Simulation::rearm_timer() {
  const Time deadline = design_->next_deadline();
  if (deadline < timer_at_) {
    timer_at_ = deadline;
    events_.schedule(deadline, Event{EventType::design_timer, 0, ++timer_generation_, 0, 0, {}});
  }
}

// ---- consumers -------------------------------------------------------------------------------

void Simulation::on_delivery_arrives(Time now, const Event& event) {
  SimConsumer& consumer = consumers_[event.entity];
  if (consumer.phase == ConsumerPhase::down || consumer.epoch != event.token) {
    // Sent to a life of the consumer that has ended: the copy is gone.
    --in_flight_;
    ledger_.on_copy_dropped(event.message, design_info_->keeps_until_ack, LossCause::consumer_crash);
    return;
  }
  consumer.buffer.push_back(Delivery{event.message, event.receipt});
  ++buffered_;
  if (consumer.phase == ConsumerPhase::idle) start_next(now, consumer);
  update_waiting(now);
}

void Simulation::start_next(Time now, SimConsumer& consumer) {
  if (consumer.buffer.empty()) return;
  consumer.current = consumer.buffer.front();
  consumer.buffer.pop_front();
  --buffered_;
  consumer.has_current = true;
  const Time service = scenario_.consumers[consumer.group].service.sample(consumer.service_rng);
  consumer.done_at = now + service;
  set_phase(now, consumer, ConsumerPhase::busy);
  const auto index = static_cast<std::uint32_t>(&consumer - consumers_.data());
  events_.schedule(consumer.done_at, Event{EventType::service_done, index, consumer.work_token, 0, 0, {}});
}

void Simulation::on_service_done(Time now, std::uint32_t index) {
  SimConsumer& consumer = consumers_[index];
  const Delivery finished = consumer.current;
  consumer.has_current = false;
  --in_flight_;
  ++consumer.processed;
  series_.on_processed();
  ledger_.on_processed(finished.message, now);
  // Start the next buffered message before replying, so a delivery the reply triggers queues behind it.
  set_phase(now, consumer, ConsumerPhase::idle);
  start_next(now, consumer);
  update_waiting(now);
  hop(now, consumer.to_broker_rng, Event{EventType::reply_arrives, index, 0, 1, finished.receipt, {}});
}

void Simulation::set_phase(Time now, SimConsumer& consumer, ConsumerPhase phase) {
  const Time spent = now - consumer.phase_since;
  switch (consumer.phase) {
    case ConsumerPhase::down:
      break;
    case ConsumerPhase::idle:
      consumer.alive += spent;
      consumer.idle_with_backlog += waiting_clock(now) - consumer.waiting_clock_at_phase_start;
      break;
    case ConsumerPhase::busy:
      consumer.alive += spent;
      consumer.busy += spent;
      --busy_count_;
      break;
    case ConsumerPhase::stalled:
      consumer.alive += spent;
      break;
  }
  if (phase == ConsumerPhase::busy) ++busy_count_;
  if ((consumer.phase == ConsumerPhase::down) != (phase == ConsumerPhase::down)) {
    alive_count_ += phase == ConsumerPhase::down ? -1 : 1;
  }
  consumer.phase = phase;
  consumer.phase_since = now;
  consumer.waiting_clock_at_phase_start = waiting_clock(now);
}

// ---- faults ----------------------------------------------------------------------------------

std::vector<std::uint32_t> Simulation::resolve_targets(const FaultTarget& target, RandomStream& rng) const {
  std::vector<std::uint32_t> members;
  switch (target.kind) {
    case FaultTarget::Kind::group:
      for (std::uint32_t i = 0; i < scenario_.consumers[target.group].count; ++i) {
        members.push_back(group_first_consumer_[target.group] + i);
      }
      break;
    case FaultTarget::Kind::member:
      members.push_back(group_first_consumer_[target.group] + target.first);
      break;
    case FaultTarget::Kind::range:
      for (std::uint32_t i = target.first; i <= target.last; ++i) members.push_back(group_first_consumer_[target.group] + i);
      break;
    case FaultTarget::Kind::any_consumer: {
      std::vector<std::uint32_t> alive;
      for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
        if (consumers_[c].phase != ConsumerPhase::down) alive.push_back(c);
      }
      if (!alive.empty()) members.push_back(alive[rng.next_below(alive.size())]);
      break;
    }
    case FaultTarget::Kind::broker:
      QLAB_CHECK(false, "broker faults are not simulated yet (the loader should have refused it)");
  }
  return members;
}

void Simulation::on_fault(Time now, std::uint32_t fault_index) {
  const FaultSpec& fault = scenario_.faults[fault_index];
  RandomStream& rng = fault_rngs_[fault_index];
  for (std::uint32_t member : resolve_targets(fault.target, rng)) {
    switch (fault.action) {
      case FaultAction::crash:
        crash(now, member, fault);
        break;
      case FaultAction::stall:
        stall(now, member, fault);
        break;
    }
  }
  if (fault.every) {
    const Time next = now + fault.every->sample(rng);
    if (!fault.until || next <= *fault.until) events_.schedule(next, Event{EventType::fault_fires, fault_index, 0, 0, 0, {}});
  }
}

void Simulation::crash(Time now, std::uint32_t index, const FaultSpec& fault) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase == ConsumerPhase::down) return;  // already dead: nothing more to kill
  const bool keeps = design_info_->keeps_until_ack;
  if (consumer.has_current) {
    ledger_.on_copy_dropped(consumer.current.message, keeps, LossCause::consumer_crash);
    consumer.has_current = false;
    --in_flight_;
  }
  for (const Delivery& d : consumer.buffer) ledger_.on_copy_dropped(d.message, keeps, LossCause::consumer_crash);
  in_flight_ -= static_cast<std::int64_t>(consumer.buffer.size());
  buffered_ -= static_cast<std::int64_t>(consumer.buffer.size());
  consumer.buffer.clear();
  ++consumer.epoch;
  ++consumer.work_token;
  set_phase(now, consumer, ConsumerPhase::down);
  // The broker sees the connection drop at once (a reset), whatever the latency of data.
  with_design(now, [&](ActionBuffer& out) { design_->on_consumer_lost(now, index, out); });
  open_crash_window_[index] = fault_windows_.size();
  fault_windows_.push_back(FaultWindow{"crash", consumer.name, now, -1});
  if (fault.restart_after) {
    events_.schedule(now + *fault.restart_after, Event{EventType::consumer_restarts, index, consumer.epoch, 0, 0, {}});
  }
}

void Simulation::on_restart(Time now, std::uint32_t index, std::uint32_t epoch) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase != ConsumerPhase::down || consumer.epoch != epoch) return;
  ++consumer.epoch;
  set_phase(now, consumer, ConsumerPhase::idle);
  fault_windows_[open_crash_window_[index]].end = now;
  open_crash_window_[index] = SIZE_MAX;
  update_waiting(now);
  hop(now, consumer.to_broker_rng, Event{EventType::join_arrives, index, consumer.epoch, consumer.prefetch, 0, {}});
}

void Simulation::stall(Time now, std::uint32_t index, const FaultSpec& fault) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase == ConsumerPhase::down || consumer.phase == ConsumerPhase::stalled) return;
  if (consumer.has_current) {
    consumer.remaining_service = consumer.done_at - now;
    ++consumer.work_token;
  }
  set_phase(now, consumer, ConsumerPhase::stalled);
  fault_windows_.push_back(FaultWindow{"stall", consumer.name, now, now + fault.duration});
  events_.schedule(now + fault.duration, Event{EventType::stall_ends, index, ++consumer.stall_token, 0, 0, {}});
}

void Simulation::on_stall_ends(Time now, std::uint32_t index, std::uint32_t token) {
  SimConsumer& consumer = consumers_[index];
  if (consumer.phase != ConsumerPhase::stalled || consumer.stall_token != token) return;
  if (consumer.has_current) {
    consumer.done_at = now + consumer.remaining_service;
    set_phase(now, consumer, ConsumerPhase::busy);
    events_.schedule(consumer.done_at, Event{EventType::service_done, index, consumer.work_token, 0, 0, {}});
  } else {
    set_phase(now, consumer, ConsumerPhase::idle);
    start_next(now, consumer);
  }
  update_waiting(now);
}

// ---- accounting ------------------------------------------------------------------------------

void Simulation::update_waiting(Time now) {
  const bool waiting = buffered_ > 0 || design_->backlog() > 0;
  if (waiting == waiting_) return;
  if (waiting) {
    waiting_since_ = now;
  } else {
    waiting_total_ += now - waiting_since_;
  }
  waiting_ = waiting;
}

Time Simulation::waiting_clock(Time now) const { return waiting_total_ + (waiting_ ? now - waiting_since_ : 0); }

SystemState Simulation::state() const {
  return SystemState{static_cast<std::int64_t>(design_->backlog()), in_flight_, busy_count_, alive_count_};
}

bool Simulation::everything_finished() const {
  return ledger_.published() == sent_ && ledger_.unfinished() == 0;
}

void Simulation::audit_custody(std::uint64_t remaining) const {
  // Every unfinished message must be somewhere: held by the design, at a consumer, or on its way to one.
  std::vector<bool> seen(ledger_.created(), false);
  std::uint64_t found = 0;
  const auto mark = [&](const Message& m) {
    if (ledger_.accepted(m.id) && !ledger_.finished(m.id) && !seen[m.id]) {
      seen[m.id] = true;
      ++found;
    }
  };
  design_->for_each_held(mark);
  for (const SimConsumer& c : consumers_) {
    if (c.has_current) mark(c.current.message);
    for (const Delivery& d : c.buffer) mark(d.message);
  }
  events_.for_each([&](const Event& e) {
    if (e.type == EventType::delivery_arrives && consumers_[e.entity].epoch == e.token) mark(e.message);
  });
  QLAB_CHECK(found == remaining, "an unfinished message is nowhere in the system");
}

RunResult Simulation::collect(Time end, double wall_seconds) {
  for (SimConsumer& c : consumers_) set_phase(end, c, c.phase);  // close the open phase intervals
  for (FaultWindow& w : fault_windows_) {
    if (w.end < 0 || w.end > end) w.end = end;
  }
  const std::uint64_t remaining = ledger_.audit();
  audit_custody(remaining);

  RunResult result;
  result.repetition = repetition_;
  result.seed = seed_;
  ledger_.append_metrics(result.metrics, remaining);
  const auto add = [&result](const char* key, double value) { result.metrics.push_back({key, value}); };
  const Time window = end - scenario_.warmup;
  add("throughput", window > 0 ? static_cast<double>(ledger_.processed_in_window()) / to_seconds(window) : 0);
  add("makespan", ledger_.last_completion() >= 0 ? to_seconds(ledger_.last_completion() - ledger_.first_publish()) : 0);
  Time busy = 0;
  Time alive = 0;
  Time idle_backlog = 0;
  for (const SimConsumer& c : consumers_) {
    busy += c.busy;
    alive += c.alive;
    idle_backlog += c.idle_with_backlog;
    result.consumers.push_back(ConsumerFigures{c.name, scenario_.consumers[c.group].name, c.busy, c.alive,
                                               c.idle_with_backlog, c.processed});
  }
  add("utilization_mean", alive > 0 ? static_cast<double>(busy) / static_cast<double>(alive) : 0);
  add("idle_with_backlog", alive > 0 ? static_cast<double>(idle_backlog) / static_cast<double>(alive) : 0);
  add("lost_consumer_crash", static_cast<double>(ledger_.lost_consumer_crash()));
  add("stale_acks", static_cast<double>(ledger_.stale_acks()));
  add("duration_simulated", to_seconds(end));
  add("events", static_cast<double>(dispatched_));
  add("wall_seconds", wall_seconds);
  add("events_per_second", wall_seconds > 0 ? static_cast<double>(dispatched_) / wall_seconds : 0);

  result.latency = ledger_.latency();
  result.wait = ledger_.wait();
  result.series = series_.finish(end, state());
  result.faults = std::move(fault_windows_);
  result.trace = ledger_.take_trace();
  return result;
}

}  // namespace

RunResult simulate(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options) {
  return Simulation(scenario, repetition, options).run();
}

}  // namespace qlab::sim
