// The simulated broker: it feeds the design its inputs, applies the design's actions, keeps the design's
// timer armed, and models broker-node crashes.
#include "core/check.hpp"
#include "simulation_engine.hpp"

namespace qlab::sim {

QLAB_FLATTEN void SimulationEngine::apply_actions(Time now) {
  for (const Action& action : actions_) {
    switch (action.kind) {
      case ActionKind::deliver: {
        ledger_.on_delivered(action.message, action.consumer, now);
        ++in_flight_;
        const std::uint32_t epoch = consumers_[action.consumer].epoch;
        if (!station_ && zero_latency_ && hop_windows_.empty()) {  // as send() with no delay, without the event
          ++dispatched_;
          deliver(now, action.consumer, epoch, Delivery{action.message, action.receipt, design_incarnation_});
          break;
        }
        const Event delivery{EventType::delivery_arrives, action.consumer, epoch, 0, action.receipt,
                             action.message, design_incarnation_};
        if (station_) {
          enter_broker(now, delivery);
        } else {
          send(now, Hop::broker_to_consumer, consumer_client(action.consumer), from_broker_rng(action.consumer),
               delivery);
        }
        break;
      }
      case ActionKind::dead_letter:
        ledger_.on_dead_lettered(action.message, now, action.cause);
        break;
      case ActionKind::drop:
        ledger_.on_dropped(action.message, now, action.cause);
        break;
      case ActionKind::ack_rejected:
      case ActionKind::ack_ignored:
        ledger_.on_stale_ack();
        break;
      case ActionKind::confirm:
        ledger_.on_confirmed(action.message, now);
        if (producers_retry_) awaiting_confirmation_.erase(action.message.id);
        break;
      case ActionKind::refuse: {
        const auto waiting = awaiting_confirmation_.find(action.message.id);
        if (waiting == awaiting_confirmation_.end()) {
          if (publishing_ != nullptr && publishing_->message.id == action.message.id) {  // a full queue refused it
            refuse_or_retry(now, publishing_->entity, action.message, publishing_->count + 1);
            break;
          }
          ledger_.on_refused(action.message, now, false);
          break;
        }
        const auto [producer, refused] = waiting->second;
        awaiting_confirmation_.erase(waiting);
        refuse_or_retry(now, producer, action.message, refused + 1);
        break;
      }
      case ActionKind::lose:
        ledger_.on_released(action.message, copies_outside(action.message.id), LossCause::broker_crash, now,
                            "broker[" + std::to_string(action.node) + "] crashed");
        break;
    }
  }
}

QLAB_FLATTEN void SimulationEngine::on_reply_arrives(Time now, const Event& event) {
  if (event.token == kLateAck) --late_acks_out_;
  // Sent on a connection that died with the broker: lost; the consumer re-joins at restart.
  if (!broker_up() || event.incarnation != design_incarnation_) return;
  with_design(now, [&](ActionBuffer& out) {
    if (event.receipt != 0 && event.token == kReleaseReply) {
      design_->on_release(now, event.entity, event.receipt, out);
    } else if (event.receipt != 0) {
      design_->on_ack(now, event.entity, event.receipt, out);
    }
    if (event.count != 0) design_->on_pull(now, event.entity, event.count, out);
  });
  if (!autoscalers_.empty() && consumer_cold_[event.entity].retiring) leave_if_done(now, event.entity);
}

void SimulationEngine::enter_broker(Time now, const Event& event) {
  // A reply (ack and/or pull) carries no payload; a publish or a delivery carries its message. A publish to a
  // design with several nodes is also sent on to each other node (replication), by the same broker.
  const std::uint32_t bytes = event.type == EventType::reply_arrives ? 0 : event.message.size;
  const Time copies = event.type == EventType::publish_arrives && design_ ? design_->node_count() : 1;
  const Time service = copies * scenario_.broker.service(bytes);
  if (const std::optional<std::uint32_t> server = station_->arrive(now, service, event)) {
    events_.schedule(now + service, Event{EventType::broker_done, *server, 0, 0, 0, {}});
  }
}

void SimulationEngine::on_broker_done(Time now, std::uint32_t server) {
  std::optional<Time> next;
  const Event job = station_->finish(now, server, next);
  if (next) events_.schedule(now + *next, Event{EventType::broker_done, server, 0, 0, 0, {}});
  switch (job.type) {
    case EventType::publish_arrives:
      on_publish_arrives(now, job);
      break;
    case EventType::reply_arrives:
      on_reply_arrives(now, job);
      break;
    case EventType::delivery_arrives: {
      send(now, Hop::broker_to_consumer, consumer_client(job.entity), from_broker_rng(job.entity), job);
      break;
    }
    default:
      QLAB_CHECK(false, "a broker job of an unexpected kind");
  }
}

void SimulationEngine::on_design_timer(Time now, std::uint32_t generation) {
  if (generation != timer_generation_ || !broker_up()) return;
  timer_at_ = kNever;
  if (design_->next_deadline() <= now) {
    with_design(now, [&](ActionBuffer& out) { design_->on_timer(now, out); });
  } else {
    rearm_timer();  // the deadline moved later since this timer was set
  }
}

std::uint32_t SimulationEngine::copies_outside(MessageId id) const {
  std::uint32_t copies = 0;
  for (const SimConsumer& c : consumers_) {
    if (c.phase == ConsumerPhase::down) continue;
    copies += c.has_current && c.current.id == id;
    for (const Delivery& d : c.buffer) copies += d.id == id;
  }
  // Copies on their way to a consumer's ended life count too: each is dropped on arrival (drop_copy), and that
  // drop must find it in the ledger's count of copies still out.
  for_each_delivery_under_way([&](const Event& e) { copies += e.message.id == id; });
  return copies;
}

void SimulationEngine::crash_broker_node(Time now, std::uint32_t node, const FaultSpec& fault) {
  if (!broker_up() || open_broker_record_[node] != SIZE_MAX) return;  // that node is already down
  open_broker_record_[node] = record_fault(now, "broker_crash", "broker[" + std::to_string(node) + "]");
  if (fault.restart_after) {
    events_.schedule(now + *fault.restart_after, Event{EventType::broker_restarts, node, 0, 0, 0, {}});
  }
  if (design_->node_count() > 1) {
    with_design(now, [&](ActionBuffer& out) { design_->on_node_crashed(now, node, out); });
    return;
  }
  // A single-node broker keeps everything in memory: it is all gone, and so are its connections.
  std::vector<Message> held;
  design_->for_each_held([&](const Message& m) { held.push_back(m); });
  design_.reset();
  design_backlog_ = 0;
  timer_at_ = kNever;
  ++timer_generation_;
  for (const Message& m : held) {
    ledger_.on_released(m, copies_outside(m.id), LossCause::broker_crash, now, "broker[0] crashed");
  }
  update_waiting(now);
  update_availability(now);
}

void SimulationEngine::on_broker_restarts(Time now, std::uint32_t node) {
  close_fault_record(now, open_broker_record_[node]);
  open_broker_record_[node] = SIZE_MAX;
  if (design_) {
    with_design(now, [&](ActionBuffer& out) { design_->on_node_restarted(now, node, out); });
    return;
  }
  // A fresh, empty broker; every live consumer reconnects with the room it has.
  ++design_incarnation_;
  design_ = design_info_->make(design_params_,
                               RandomStream::derive(seed_, "queue/" + std::to_string(design_incarnation_)));
  design_backlog_ = static_cast<std::int64_t>(design_->backlog());
  update_availability(now);
  for (std::uint32_t c = 0; c < consumers_.size(); ++c) {
    if (consumers_[c].phase == ConsumerPhase::stalled) {
      consumer_cold_[c].rejoin_on_resume = true;  // a frozen process cannot reconnect yet
    } else if (consumers_[c].phase != ConsumerPhase::down) {
      join(now, c);
    }
  }
}

void SimulationEngine::update_availability(Time now) {
  const bool available = broker_up() && design_->available();
  if (available == available_) return;
  if (available) {
    unavailable_total_ += now - unavailable_since_;
  } else {
    unavailable_since_ = now;
  }
  available_ = available;
}

}  // namespace qlab::sim
