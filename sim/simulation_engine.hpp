#pragma once
// The simulator's internals: one object runs one repetition. Split by concern over
// simulation_engine.cpp (loop, network, accounting), sim_producers.cpp, sim_broker.cpp, sim_consumers.cpp
// and sim_faults.cpp. Not a public header: simulation.hpp is the interface.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/arrival_process.hpp"
#include "core/check.hpp"
#include "core/flatten.hpp"
#include "core/huge_page_allocator.hpp"
#include "core/scenario.hpp"
#include "broker_station.hpp"
#include "event.hpp"
#include "pending_events.hpp"
#include "message_ledger.hpp"
#include "metrics/time_series_recorder.hpp"
#include "queues/design_registry.hpp"
#include "autoscaler.hpp"
#include "sim_consumer.hpp"
#include "simulation.hpp"

namespace qlab::sim {

struct SimProducer {
  std::string name;  // group[index]
  std::size_t group = 0;
  std::uint32_t index = 0;
  ArrivalProcess arrivals;  // also counts what it sent and has left (live producers draw the same)
  RandomStream size_rng;
  RandomStream network_rng;
  RandomStream key_rng;    // with a key distribution
  RandomStream poison_rng;  // which messages are poison (a stream of its own: other draws stay the same)
  std::uint32_t epoch = 0; // bumps on crash: its publishes still on the wire are void
  bool active = true;      // has not stopped for good
  bool down = false;
};

// A fault's effect in force over a time window: what plots shade and what hops consult.
struct ActiveWindow {
  std::size_t fault = 0;   // index into Scenario::faults
  std::size_t record = 0;  // index into fault_windows_
  std::vector<bool> clients;  // partition/drop/delay: affected producers (first) then consumers
};

// A fault whose recovery is pending: the number of messages in the system when it struck.
struct PendingRecovery {
  Time start = 0;
  Time healed = kNever;
  std::uint64_t level = 0;
  std::size_t record = 0;
};

// The handlers every message goes through (on_produce, on_publish_arrives, apply_actions, deliver,
// on_service_done, on_reply_arrives) are defined QLAB_FLATTEN (core/flatten.hpp): what they call from the engine's headers
// and their own file is inlined into them, which the compiler's size limits otherwise stop short of (about
// 130 instructions a message fewer, +5% messages per second at M/M/8; see bench/README.md).
class SimulationEngine {
 public:
  SimulationEngine(const Scenario& scenario, std::uint32_t repetition, const SimulationOptions& options);
  RunResult run();

 private:
  // Adds what happened since the last report to options_'s progress counters.
  void report_progress();
  // Dispatch and the network (simulation_engine.cpp). dispatch() only forwards, so that it stays a jump table.
  void dispatch(Time now, const Event& event);
  // dispatch() for an event just popped: a producer's next publish and a completion (most events, and never
  // sent) run from the compact form, without building the whole event; dispatch() takes the others.
  void dispatch_pending(Time now, const PendingEvents::Compact& event) {
    switch (event.type) {
      case EventType::produce:
        ++dispatched_;
        on_produce(now, event.entity, event.token);
        break;
      case EventType::service_done:  // unless the consumer's work changed since it was planned
        ++dispatched_;
        if (consumers_[event.entity].work_token == event.token && consumers_[event.entity].phase == ConsumerPhase::busy) {
          on_service_done(now, event.entity);
        }
        break;
      default:
        dispatch(now, events_.take(event));
    }
  }
  void on_join_arrives(Time now, const Event& event);
  // Sends `event` over the hop between client `client` (producers first, then consumers) and the broker.
  // Inline for the common case of no network fault in force; faults take send_through_faults().
  void send(Time now, Hop hop, std::uint32_t client, RandomStream& rng, const Event& event) {
    if (!hop_windows_.empty()) {
      send_through_faults(now, hop, client, rng, event);
      return;
    }
    const Time delay = zero_latency_ ? 0 : hop_delay(rng, event);
    if (delay == 0) {
      dispatch_sent(now, event);
    } else {
      events_.schedule(now + delay, event);
    }
  }
  // dispatch() for an event sent with no delay. Inline: at each send the event's type is known, so this
  // folds to the one handler instead of going through dispatch()'s switch.
  void dispatch_sent(Time now, const Event& event) {
    switch (event.type) {
      case EventType::publish_arrives:
      case EventType::reply_arrives:
        ++dispatched_;
        reach_broker(now, event);
        break;
      case EventType::delivery_arrives:
        ++dispatched_;
        on_delivery_arrives(now, event);
        break;
      default:
        dispatch(now, event);
    }
  }
  // A publish or a reply reaches the broker: it takes effect now, or (with a `broker:` cost) once a broker
  // server has processed it.
  void reach_broker(Time now, const Event& event) {
    if (station_) {
      enter_broker(now, event);
    } else if (event.type == EventType::publish_arrives) {
      on_publish_arrives(now, event);
    } else {
      on_reply_arrives(now, event);
    }
  }
  void send_through_faults(Time now, Hop hop, std::uint32_t client, RandomStream& rng, Event event);
  // One hop's latency plus, with a network bandwidth, the time to transmit the event's message.
  Time hop_delay(RandomStream& rng, const Event& event) const {
    const Time latency = scenario_.network.latency.sample(rng);
    return ns_per_byte_ > 0 ? latency + static_cast<Time>(ns_per_byte_ * event.message.size + 0.5) : latency;
  }
  std::uint32_t consumer_client(std::uint32_t consumer) const { return static_cast<std::uint32_t>(producers_.size()) + consumer; }
  // Producers (sim_producers.cpp).
  void on_produce(Time now, std::uint32_t index, std::uint32_t epoch);
  void publish_one(Time now, SimProducer& producer, std::uint32_t index);
  void schedule_next_publish(Time now, std::uint32_t index);
  void on_producer_stops(Time now, SimProducer& producer);
  // The last producer stopped at `now`: the run's drain starts.
  void end_publishing(Time now);
  void on_publish_arrives(Time now, const Event& event);
  // The broker refused send number `refused` (>= 1) of `message`: retried after a backoff when its producer's
  // group says on_unavailable: retry and the limit allows, else refused for good.
  void refuse_or_retry(Time now, std::uint32_t producer, const Message& message, std::uint32_t refused);
  void on_publish_retry(Time now, const Event& event);
  // With a rate schedule that drops: `burst_drain_time`, from the end of the last burst until no message waits.
  void append_burst_drain_time(Time end, RunResult& result) const;
  // Broker (sim_broker.cpp).
  void on_reply_arrives(Time now, const Event& event);
  // With a `broker:` cost: `event` (a publish or reply that reached the broker, or a delivery it sends) waits
  // for a broker server; it takes effect in on_broker_done.
  void enter_broker(Time now, const Event& event);
  void on_broker_done(Time now, std::uint32_t server);
  // Every delivery on its way to a consumer: on the wire, or (with a broker cost) still in the broker.
  template <class F>
  void for_each_delivery_under_way(F&& f) const {
    const auto visit = [&](const Event& e) {
      if (e.type == EventType::delivery_arrives) f(e);
    };
    events_.for_each(visit);
    if (station_) station_->for_each(visit);
  }
  // Runs one input of the design, then applies its actions; every broker input goes through here.
  template <class Input>
  void with_design(Time now, Input input) {
    QLAB_CHECK(!in_design_, "the design was re-entered while its actions were applied");
    in_design_ = true;
    actions_.clear();
    input(actions_);
    design_backlog_ = static_cast<std::int64_t>(design_->backlog());
    if (!actions_.empty()) apply_actions(now);  // often none (a pull with nothing waiting): skip the call
    in_design_ = false;
    rearm_timer();
    update_waiting(now);
    if (availability_varies_) update_availability(now);
  }
  void apply_actions(Time now);
  // Schedules a timer event when the design's deadline moved earlier. Inline: it runs after every design input.
  void rearm_timer() {
    const Time deadline = design_->next_deadline();
    if (deadline < timer_at_) {
      timer_at_ = deadline;
      events_.schedule(deadline, Event{EventType::design_timer, 0, ++timer_generation_, 0, 0, {}});
    }
  }
  void on_design_timer(Time now, std::uint32_t generation);
  bool broker_up() const { return design_ != nullptr; }
  void crash_broker_node(Time now, std::uint32_t node, const FaultSpec& fault);
  void on_broker_restarts(Time now, std::uint32_t node);
  std::uint32_t copies_outside(MessageId id) const;
  void update_availability(Time now);
  // Consumers (sim_consumers.cpp).
  void on_delivery_arrives(Time now, const Event& event) {
    deliver(now, event.entity, event.token, Delivery{event.message, event.receipt, event.incarnation});
  }
  // `delivery` reaches consumer `index`, sent to its life `epoch`: a delivery_arrives event, or handed over
  // directly by apply_actions when it would be one with no delay (no event, no copy of it as an event).
  void deliver(Time now, std::uint32_t index, std::uint32_t epoch, const Delivery& delivery);
  // Starts loading the consumer record `event` (the next one) will touch while `current` runs (with many
  // consumers it is rarely in cache): a service completion's consumer, or for a publish the consumer the
  // design will most likely deliver it to and the two after (prefetch_receiver, one further in line when
  // `current` is a publish too, as that takes the first: one event ahead is too little time for memory;
  // a third receiver paid off once a record was two lines, a fourth did not); a delivery's consumer; with
  // network latency, also the cold line holding the network streams of the completion's consumer and the
  // receivers; and what the design will touch for the completion's reply. No effect on results.
  void prefetch_consumer(const PendingEvents::Compact& event, EventType current) const {
    if (is_publish(event.type)) {
      const std::size_t first = is_publish(current) ? 1 : 0;
      for (std::size_t later = first; later < first + 3; ++later) prefetch_receiver(later);
    } else {
      prefetch_for(event);
    }
  }
  // What `event` will touch if it is a completion or a delivery. The loop calls it for the next event and
  // for the one after (the event list names it; further ahead did less well: more loads in flight than the
  // memory system serves at once).
  void prefetch_for(const PendingEvents::Compact& event) const {
    if (event.type == EventType::service_done) {
      prefetch_hot(event.entity);
      prefetch_network(event.entity);
      if (design_) design_->prefetch_reply(event.entity, event.word);
    } else if (event.type == EventType::delivery_arrives) {
      prefetch_hot(event.entity);
    }
  }
  static bool is_publish(EventType type) {
    return type == EventType::produce || type == EventType::publish_arrives;
  }
  // The consumer the design names as its receiver after `later` more publishes (the design starts loading
  // its own state for it too).
  void prefetch_receiver(std::size_t later) const {
    if (!design_) return;
    const ConsumerId receiver = design_->next_receiver_hint(later);
    if (receiver >= consumers_.size()) return;
    prefetch_hot(receiver);
    prefetch_network(receiver);
  }
  // With network latency, the line that holds consumer `index`'s network streams.
  void prefetch_network(std::uint32_t index) const {
    if (!zero_latency_) __builtin_prefetch(&consumer_network_[index]);
  }
  // Consumer `index`'s network streams. Without latency it has none, and nothing draws from the one returned.
  RandomStream& to_broker_rng(std::uint32_t index) { return zero_latency_ ? no_network_rng_ : consumer_network_[index].to_broker; }
  RandomStream& from_broker_rng(std::uint32_t index) {
    return zero_latency_ ? no_network_rng_ : consumer_network_[index].from_broker;
  }
  // group[index in the group], as results and traces name consumer `index`.
  std::string consumer_name(std::uint32_t index) const;
  // Both lines of consumer `index`'s hot record: all that a delivery or a completion touches of it.
  void prefetch_hot(std::uint32_t index) const {
    const auto* record = reinterpret_cast<const char*>(&consumers_[index]);
    __builtin_prefetch(record);
    __builtin_prefetch(record + 64);
  }
  void start_next(Time now, SimConsumer& consumer);
  // Consumer `index` (`consumer`) starts processing its current delivery.
  void start_current(Time now, std::uint32_t index, SimConsumer& consumer);
  void on_service_done(Time now, std::uint32_t index);
  void set_phase(Time now, SimConsumer& consumer, ConsumerPhase phase);
  // Ends every consumer's open phase at `end` (its phase stays): the running sums then hold the totals.
  void close_phases(Time end);
  std::uint32_t index_of(const SimConsumer& consumer) const { return static_cast<std::uint32_t>(&consumer - consumers_.data()); }
  void join(Time now, std::uint32_t index);
  void drop_copy(Time now, const Delivery& delivery, LossCause cause);
  // With tracing: `what` happened to message `id` at `consumer`. Out of line: the name it builds (a string,
  // destroyed after) would otherwise weigh on the handlers every message goes through.
  [[gnu::cold, gnu::noinline]] void note_traced(MessageId id, Time now, const char* what, std::uint32_t consumer);
  // Processing of consumer `index`'s current message failed: it releases it, lets it time out, or crashes.
  // Cold: kept out of line so that on_service_done stays as small as it was before failures existed.
  [[gnu::cold, gnu::noinline]] void on_processing_failed(Time now, std::uint32_t index);
  // Faults (sim_faults.cpp).
  void on_fault(Time now, std::uint32_t fault_index);
  void strike(Time now, const FaultSpec& fault, std::uint32_t member);
  void crash_consumer(Time now, std::uint32_t index, const FaultSpec& fault);
  void stall_consumer(Time now, std::uint32_t index, const FaultSpec& fault);
  void crash_producer(Time now, std::uint32_t index, const FaultSpec& fault);
  void on_consumer_restarts(Time now, std::uint32_t index, std::uint32_t epoch);
  void on_producer_restarts(Time now, std::uint32_t index, std::uint32_t epoch);
  void open_window(Time now, std::size_t fault_index, const std::string& target, std::vector<bool> clients);
  void on_window_closes(Time now, std::uint32_t window);
  void on_stall_ends(Time now, std::uint32_t index, std::uint32_t token);
  std::vector<std::uint32_t> resolve_members(const FaultTarget& target, RandomStream& rng) const;
  std::vector<bool> resolve_clients(const FaultSpec& fault) const;
  std::size_t record_fault(Time now, const std::string& action, const std::string& target);
  void close_fault_record(Time now, std::size_t record);
  // Autoscaling (sim_autoscaling.cpp): consumer slots up to each group's max, those above `count` parked.
  std::uint32_t consumer_slots(const ConsumerGroup& group) const { return group.autoscale ? group.autoscale->max : group.count; }
  void start_autoscaling();
  void on_autoscale_tick(Time now, std::uint32_t group);
  void start_consumer(Time now, std::uint32_t index);
  void on_consumer_starts(Time now, std::uint32_t index, std::uint32_t epoch);
  void retire_consumer(Time now, std::uint32_t index);
  // A retiring consumer leaves once it holds nothing (its last ack has reached the broker).
  void leave_if_done(Time now, std::uint32_t index);
  // The pull credit a consumer renews with each ack: none once it is retiring.
  std::uint32_t pull_credit_after(std::uint32_t index) const {
    return !autoscalers_.empty() && consumer_cold_[index].retiring ? 0 : 1;
  }
  void append_autoscale_metrics(Time end, std::vector<Metric>& metrics) const;
  // Accounting (simulation_engine.cpp). Called on every event, hence inline.
  void update_waiting(Time now) {
    const bool waiting = buffered_ > 0 || design_backlog_ > 0;
    if (waiting == waiting_) return;
    if (waiting) {
      waiting_since_ = now;
    } else {
      waiting_total_ += now - waiting_since_;
    }
    waiting_ = waiting;
  }
  // W(now): the total time until `now` during which some message was waiting.
  Time waiting_clock(Time now) const { return waiting_total_ + (waiting_ ? now - waiting_since_ : 0); }
  SystemState state() const;
  // Every message sent is finished, and no copy or late ack is left at a consumer or on the wire.
  bool everything_finished() const;
  void check_recoveries(Time now);
  // The ledger keeps more than forget_above_runs_ runs of retired fates (messages that ended differently,
  // interleaved): finds the oldest message that anything (the design, a consumer, an event, the broker's
  // queue) may still name, lets the ledger forget the fates below it, and sets the next threshold.
  void forget_settled();
  void audit_custody(std::uint64_t remaining) const;
  // The run's results. Ends the engine's use: fault windows move into the result.
  RunResult collect(Time end, double wall_seconds);

  const Scenario& scenario_;
  const SimulationOptions& options_;
  std::uint32_t repetition_;
  std::uint64_t seed_;
  const DesignInfo* design_info_;
  DesignParams design_params_;  // queue_for_run(scenario_) with the design's defaults
  std::unique_ptr<QueueDesign> design_;  // null while a single-node broker is down
  // design_->backlog() as of the design's last input (it changes only through inputs); 0 while it is down.
  // Read on every event: kept here rather than asked of the design each time.
  std::int64_t design_backlog_ = 0;
  std::uint32_t design_incarnation_ = 0;
  bool zero_latency_;
  double ns_per_byte_;                             // network: 1e9 / bandwidth; 0 = unlimited
  std::unique_ptr<BrokerStation<Event>> station_;  // null when the broker is free (no `broker:` cost)
  bool availability_varies_;  // a design that can refuse publishes by itself (several nodes)

  PendingEvents events_;
  std::vector<SimProducer> producers_;
  // Huge pages: 100,000 consumers' records are 19 MB read at scattered places (the hot ones by every message).
  std::vector<SimConsumer, HugePageAllocator<SimConsumer>> consumers_;          // hot records
  std::vector<SimConsumerCold, HugePageAllocator<SimConsumerCold>> consumer_cold_;  // the rest, same index
  std::vector<ConsumerNetwork> consumer_network_;  // same index; empty without network latency
  RandomStream no_network_rng_;                    // what to_broker_rng() and from_broker_rng() give without latency
  std::vector<RandomStream> failure_rngs_;  // which processings fail, same index; empty unless some group's can
  std::vector<std::uint32_t> group_first_consumer_;
  std::vector<std::uint32_t> group_first_producer_;
  // Designs that confirm publishes later (replicated) may refuse them later: the producer and the refused sends
  // so far of each unconfirmed message whose producer retries (empty without on_unavailable: retry).
  bool producers_retry_ = false;
  std::unordered_map<MessageId, std::pair<std::uint32_t, std::uint32_t>> awaiting_confirmation_;
  std::vector<RandomStream> fault_rngs_;
  std::vector<FaultWindow> fault_windows_;
  std::vector<std::size_t> open_crash_record_;     // per consumer: index into fault_windows_, or SIZE_MAX
  std::vector<std::size_t> open_producer_record_;  // per producer
  std::vector<std::size_t> open_broker_record_;    // per broker node
  std::vector<ActiveWindow> windows_;               // slow, partition, drop and delay windows
  std::vector<std::size_t> hop_windows_;            // indexes of open partition/drop/delay windows
  std::vector<PendingRecovery> recoveries_;
  std::vector<Time> recovery_times_;

  ActionBuffer actions_;
  bool in_design_ = false;
  Time timer_at_ = kNever;
  std::uint32_t timer_generation_ = 0;

  MessageLedger ledger_;
  TimeSeriesRecorder series_;
  std::uint64_t dispatched_ = 0;
  std::uint64_t reported_ = 0;  // part of dispatched_ already added to options_.events_done
  std::uint64_t reported_messages_ = 0;  // messages created already added to options_.messages_done
  std::uint64_t sent_ = 0;      // messages producers sent
  std::int64_t in_flight_ = 0;  // copies delivered, not yet processed or dropped
  std::int64_t late_acks_out_ = 0;  // replies with token kLateAck sent, not yet arrived
  std::int64_t buffered_ = 0;
  std::int64_t busy_count_ = 0;
  std::int64_t alive_count_ = 0;
  bool waiting_ = false;
  Time waiting_since_ = 0;
  Time waiting_total_ = 0;
  bool available_ = true;
  Time unavailable_since_ = 0;
  Time unavailable_total_ = 0;
  std::size_t active_producers_ = 0;
  Time publishing_end_ = kNever;
  // The loop looks at its two time limits (the duration without drain, the drain timeout) only for events
  // after this: the earlier of the two once known, kNever before.
  Time stop_check_at_ = kNever;
  std::uint64_t report_at_ = UINT64_MAX;  // dispatched_ at which to report progress next (with events_done)
  // Whether the loop prefetches for the next event (prefetch_consumer): only with enough consumers that
  // their records may be out of the first-level cache; a small system's are always in it.
  bool prefetching_ = false;
  static constexpr std::size_t kForgetAboveRuns = 4096;
  std::size_t forget_above_runs_ = kForgetAboveRuns;
  // Per consumer group, null without autoscale; empty when no group autoscales.
  std::vector<std::unique_ptr<Autoscaler>> autoscalers_;
  Time startup_time_ = 0;        // consumer time spent starting (paid for, not yet serving)
  Time slo_violation_ = 0;       // autoscaler intervals whose p99 exceeded the SLO
  std::uint64_t scale_events_ = 0;
  // The publish being handed to the design: a bounded queue may refuse it at once (retried as a refusal above).
  const Event* publishing_ = nullptr;
};

}  // namespace qlab::sim
