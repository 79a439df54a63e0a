#include "broker_state.hpp"

#include <malloc.h>

#include <algorithm>

#include "core/check.hpp"
#include "core/random_stream.hpp"

namespace qlab::live {

BrokerState::BrokerState(const DesignInfo& design, const DesignParams& params, std::string token, std::uint64_t seed,
                         LogSink log, MessageId first_message_id, std::uint32_t incarnation)
    : info_(design),
      design_(design.make(params, RandomStream::derive(seed, incarnation == 0 ? std::string("queue")
                                                                               : "queue/" + std::to_string(incarnation)))),
      token_(std::move(token)),
      log_(std::move(log)),
      next_message_(std::max<MessageId>(1, first_message_id)) {}

BrokerState::~BrokerState() = default;

std::uint32_t BrokerState::open(Peer& peer, std::string peer_name) {
  const std::uint32_t id = next_session_++;
  Session& s = sessions_[id];
  s.peer = &peer;
  s.peer_name = std::move(peer_name);
  ++counters_.sessions_opened;
  return id;
}

void BrokerState::send(Session& s) {
  s.peer->deliver(scratch_);
  scratch_.clear();
}

BrokerState::Verdict BrokerState::refuse(Session& s, std::uint32_t id, ErrorCode code, const std::string& text) {
  ++counters_.protocol_errors;
  log_(s.peer_name + " (session " + std::to_string(id) + "): " + std::string(error_code_name(code)) + ": " + text +
       "; closing the connection");
  append_error(scratch_, Error{code, true, 0, text});
  send(s);
  return Verdict::close;
}

BrokerState::Verdict BrokerState::on_frame(Time now, std::uint32_t id, const FrameHeader& header,
                                           std::span<const std::uint8_t> body) {
  const auto it = sessions_.find(id);
  QLAB_CHECK(it != sessions_.end(), "frame from a session that was closed");
  Session& s = it->second;
  advance_waiting_clock(now);
  try {
    if (header.type == FrameType::hello) {
      if (s.greeted) return refuse(s, id, ErrorCode::hello_required, "HELLO sent twice");
      return on_hello(now, s, id, decode_hello(body));
    }
    if (!s.greeted) {
      return refuse(s, id, ErrorCode::hello_required,
                    std::string("first frame was ") + std::string(frame_type_name(header.type)) + ", not HELLO");
    }
    const auto require = [&](Role role) {
      if (s.role != role) {
        throw ProtocolError(ErrorCode::wrong_role, std::string(frame_type_name(header.type)) + " from a " +
                                                       std::string(role_name(s.role)) + " (needs a " +
                                                       std::string(role_name(role)) + ")");
      }
    };
    switch (header.type) {
      case FrameType::publish:
        require(Role::producer);
        on_publish(now, s, id, decode_publish(body));
        break;
      case FrameType::pull:
        require(Role::consumer);
        on_pull(now, s, id, decode_pull(header.flags, body));
        break;
      case FrameType::ack:
        require(Role::consumer);
        on_ack(now, s, decode_receipts(body));
        break;
      case FrameType::release:
        require(Role::consumer);
        for (std::uint64_t receipt : decode_receipts(body).receipts) {
          const bool current = receipts_.contains(receipt);
          const std::size_t first = actions_.size();
          design_->on_release(now, s.consumer, receipt, actions_);
          if (current && !refused_receipt(first, receipt)) ++counters_.released;
        }
        apply(now);
        break;
      case FrameType::extend: {
        require(Role::consumer);
        const Extend extend = decode_extend(body);
        const bool current = receipts_.contains(extend.receipt);
        const std::size_t first = actions_.size();
        design_->on_extend(now, s.consumer, extend.receipt, static_cast<Time>(extend.timeout_ms) * kMillisecond,
                           actions_);
        if (current && !refused_receipt(first, extend.receipt)) ++counters_.extended;
        apply(now);
        break;
      }
      case FrameType::stats:
        if (!body.empty()) throw ProtocolError(ErrorCode::malformed, "STATS body must be empty");
        append_stats_ok(scratch_, StatsOk{stats_text(now)});
        send(s);
        break;
      case FrameType::control: {
        require(Role::admin);
        const std::string text(reinterpret_cast<const char*>(body.data()), body.size());
        const nlohmann::json order = nlohmann::json::parse(text, nullptr, false);
        if (order.is_discarded() || !order.is_object()) throw ProtocolError(ErrorCode::malformed, "CONTROL body is not a JSON object");
        try {
          on_control(now, order);
        } catch (const nlohmann::json::exception& e) {
          throw ProtocolError(ErrorCode::malformed, std::string("CONTROL: ") + e.what());
        }
        append_stats_ok(scratch_, StatsOk{stats_text(now)});
        send(s);
        break;
      }
      default:
        throw ProtocolError(ErrorCode::wrong_role,
                            std::string(frame_type_name(header.type)) + " is sent by the broker, not to it");
    }
  } catch (const ProtocolError& e) {
    return refuse(s, id, e.code, e.what());
  }
  return Verdict::keep;
}

BrokerState::Verdict BrokerState::on_hello(Time now, Session& s, std::uint32_t id, const Hello& hello) {
  if (hello.protocol_version != kProtocolVersion) {
    return refuse(s, id, ErrorCode::unsupported_version,
                  "protocol version " + std::to_string(hello.protocol_version) + " (this broker speaks " +
                      std::to_string(kProtocolVersion) + ")");
  }
  if (hello.token != token_) {
    return refuse(s, id, ErrorCode::auth_failed, hello.token.empty() ? "a token is required" : "wrong token");
  }
  HelloOk ok;
  ok.session_id = id;
  ok.design = info_.name;
  if (hello.role == Role::consumer) {
    ConsumerId consumer = 0;
    const auto named = hello.name.empty() ? consumer_names_.end() : consumer_names_.find(hello.name);
    if (named != consumer_names_.end()) {
      consumer = named->second;
      if (consumer_sessions_[consumer] != 0) {
        return refuse(s, id, ErrorCode::name_in_use, "a consumer named '" + hello.name + "' is connected");
      }
    } else {
      consumer = static_cast<ConsumerId>(consumer_sessions_.size());
      consumer_sessions_.push_back(0);
      if (!hello.name.empty()) consumer_names_.emplace(hello.name, consumer);
    }
    consumer_sessions_[consumer] = id;
    s.consumer = consumer;
    ok.consumer_id = consumer;
    design_->on_consumer_joined(now, consumer, actions_);
  }
  s.greeted = true;
  s.role = hello.role;
  s.client_name = hello.name;
  append_hello_ok(scratch_, ok);
  send(s);
  if (s.role == Role::consumer) update_idle(s);
  apply(now);
  return Verdict::keep;
}

std::string BrokerState::stats_text(Time now) const {
  // Consumer names are the clients' bytes: a name that is not UTF-8 is shown with replacement characters.
  return stats(now).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void BrokerState::on_control(Time now, const nlohmann::json& order) {
  const std::string op = order.value("op", "");
  if (op == "crash_node" || op == "restart_node") {
    const auto node = order.value("node", std::int64_t{-1});
    if (node < 0 || node >= static_cast<std::int64_t>(design_->node_count())) {
      throw ProtocolError(ErrorCode::bad_request, "CONTROL " + op + ": node " + std::to_string(node) + " (the design has " +
                                                      std::to_string(design_->node_count()) + ")");
    }
    if (design_->node_count() == 1) {
      throw ProtocolError(ErrorCode::bad_request, "CONTROL " + op + ": a single-node design crashes with the process");
    }
    const auto n = static_cast<std::uint32_t>(node);
    log_("control: " + op + " " + std::to_string(n));
    if (op == "crash_node") {
      design_->on_node_crashed(now, n, actions_);
    } else {
      design_->on_node_restarted(now, n, actions_);
    }
    apply(now);
  } else if (op != "status") {
    throw ProtocolError(ErrorCode::bad_request, "CONTROL op '" + op + "' (known: crash_node, restart_node, status)");
  }
}

void BrokerState::on_publish(Time now, Session& s, std::uint32_t session_id, const Publish& publish) {
  PublishOk ok;
  ok.confirms.reserve(publish.messages.size());
  for (const PublishItem& item : publish.messages) {
    // Refused here, before the design sees them: a payload whose DELIVER would not fit a frame, and a
    // message above the memory limit.
    if (item.payload.size() > kMaxPayloadLength) {
      ++counters_.too_large;
      ok.confirms.push_back({item.client_seq, 0, PublishStatus::too_large});
      continue;
    }
    if (max_queue_bytes_ > 0 && queue_bytes_ + item.payload.size() + kStoredMessageOverhead > max_queue_bytes_) {
      ++counters_.queue_full;
      ok.confirms.push_back({item.client_seq, 0, PublishStatus::queue_full});
      continue;
    }
    const MessageId id = next_message_++;
    store(id, Stored{item.payload, item.producer_time, item.key, now, 0});
    if (info_.confirms_publishes) unconfirmed_[id] = {session_id, item.client_seq};
    design_->on_publish(now, Message{id, now, item.key, static_cast<std::uint32_t>(item.payload.size())}, actions_);
    if (!info_.confirms_publishes) {  // accepted unless a bounded queue (overflow: reject_publish) refused it at once
      const bool refused = std::any_of(actions_.begin(), actions_.end(), [id](const Action& a) {
        return a.kind == ActionKind::refuse && a.message.id == id;
      });
      ++(refused ? counters_.refused : counters_.published);
      if (const auto stored = store_.find(id); refused && stored != store_.end()) erase_stored(stored);
      ok.confirms.push_back({item.client_seq, refused ? 0 : id, refused ? PublishStatus::refused : PublishStatus::accepted});
    }
    apply(now);
  }
  if (!ok.confirms.empty()) {
    append_publish_ok(scratch_, ok);
    send(s);
  }
}

void BrokerState::settle_publish(const Action& action, PublishStatus status) {
  const auto it = unconfirmed_.find(action.message.id);
  if (it == unconfirmed_.end()) return;
  const Unconfirmed waiting = it->second;
  unconfirmed_.erase(it);
  if (status == PublishStatus::accepted) {
    ++counters_.published;
  } else {
    ++counters_.refused;
    if (const auto stored = store_.find(action.message.id); stored != store_.end()) erase_stored(stored);
  }
  const auto session = sessions_.find(waiting.session);
  if (session == sessions_.end()) return;  // the producer is gone; the outcome stands
  append_publish_ok(scratch_, PublishOk{{{waiting.client_seq,
                                          status == PublishStatus::accepted ? action.message.id : 0, status}}});
  send(session->second);
}

void BrokerState::forget_message(MessageId id) {
  const auto found = store_.find(id);
  if (found == store_.end()) return;
  receipts_.erase(found->second.receipt);
  if (design_->node_count() == 1) {
    erase_stored(found);
    return;
  }
  // A multi-node design may bring the message back after a failover (the new leader never saw the ack or
  // the dead-letter): keep what a delivery needs besides the payload, which is resent as filler of its size.
  Stored& kept = forgotten_[id];
  kept.producer_time = found->second.producer_time;
  kept.key = found->second.key;
  kept.published_at = found->second.published_at;
  erase_stored(found);
}

BrokerState::Stored& BrokerState::store(MessageId id, Stored stored) {
  queue_bytes_ += stored.payload.size() + kStoredMessageOverhead;
  if (queue_bytes_ > peak_queue_bytes_) {
    peak_queue_bytes_ = queue_bytes_;
    release_below_ = queue_bytes_ / 4;
  }
  return store_.insert_or_assign(id, std::move(stored)).first->second;
}

void BrokerState::erase_stored(std::unordered_map<MessageId, Stored>::iterator it) {
  queue_bytes_ -= it->second.payload.size() + kStoredMessageOverhead;
  store_.erase(it);
}

void BrokerState::release_memory() {
  // After a large queue drained to a quarter of its peak, then at every further halving down to 1 MiB: a
  // handful of times per drain, each proportional to what is left.
  constexpr std::size_t kWorthReleasing = 16u << 20;
  if (peak_queue_bytes_ < kWorthReleasing || queue_bytes_ > release_below_) return;
  store_.rehash(0);  // an unordered_map keeps the buckets of its largest size until asked
  receipts_.rehash(0);
  ::malloc_trim(0);
  release_below_ = queue_bytes_ / 2;
  if (queue_bytes_ < kWorthReleasing / 16) peak_queue_bytes_ = queue_bytes_;  // done until the next large queue
}

bool BrokerState::refused_receipt(std::size_t first, Receipt receipt) const {
  return std::any_of(actions_.begin() + static_cast<std::ptrdiff_t>(first), actions_.end(), [&](const Action& a) {
    return a.receipt == receipt && (a.kind == ActionKind::ack_rejected || a.kind == ActionKind::ack_ignored);
  });
}

void BrokerState::on_pull(Time now, Session& s, std::uint32_t id, const Pull& pull) {
  if (pull.max_count == 0) {
    append_error(scratch_, Error{ErrorCode::bad_request, false, 0, "PULL of 0 messages"});
    send(s);
    return;
  }
  s.credit = pull.max_count > UINT32_MAX - s.credit ? UINT32_MAX : s.credit + pull.max_count;
  if (s.capacity == 0) s.capacity = pull.max_count;
  s.pulled += pull.max_count;
  update_idle(s);
  s.return_early = pull.return_early;
  s.delivered_in_pull = 0;
  set_pull_deadline(s, id, pull.wait_ms == kWaitForever ? kNever : now + static_cast<Time>(pull.wait_ms) * kMillisecond);
  design_->on_pull(now, s.consumer, pull.max_count, actions_);
  apply(now);
  expire_pulls(now);  // wait_ms 0: whatever was not available at once is withdrawn now
}

void BrokerState::on_ack(Time now, Session& s, const Receipts& receipts) {
  for (std::uint64_t receipt : receipts.receipts) {
    const std::size_t first = actions_.size();
    design_->on_ack(now, s.consumer, receipt, actions_);
    // Designs that hand messages over at delivery ignore acks: only a current receipt's ack deletes.
    const auto found = receipts_.find(receipt);
    if (found == receipts_.end() || refused_receipt(first, receipt)) continue;
    ++counters_.acked;
    forget_message(found->second);
  }
  apply(now);
  release_memory();
}

void BrokerState::apply(Time now) {
  while (!actions_.empty()) {
    ActionBuffer batch;
    batch.swap(actions_);
    for (const Action& action : batch) {
      switch (action.kind) {
        case ActionKind::deliver:
          deliver(now, action);
          break;
        case ActionKind::dead_letter:
        case ActionKind::drop:  // live results count a bounded queue's drops as dead letters
          ++counters_.dead_lettered;
          emit(BrokerRecord::Kind::dead_lettered, action.message.id, 0, now);
          forget_message(action.message.id);
          break;
        case ActionKind::lose:
          ++counters_.lost;
          emit(BrokerRecord::Kind::lost, action.message.id, action.node, now);
          forget_message(action.message.id);
          break;
        case ActionKind::confirm:
          settle_publish(action, PublishStatus::accepted);
          break;
        case ActionKind::refuse:
          settle_publish(action, PublishStatus::refused);
          break;
        case ActionKind::ack_rejected:
        case ActionKind::ack_ignored:
          ++counters_.stale_refused;
          if (action.kind == ActionKind::ack_rejected) stale_.emplace_back(action.consumer, action.receipt);
          break;
      }
    }
    // Pulls that return early end once a dispatch round delivered something and nothing more came at once.
    std::vector<std::uint32_t> touched;
    touched.swap(touched_);
    for (std::uint32_t id : touched) {
      const auto it = sessions_.find(id);
      if (it == sessions_.end()) continue;
      Session& s = it->second;
      if (s.return_early && s.delivered_in_pull > 0 && s.credit > 0) end_pull(now, s, id);
    }
  }
  report_stale();
  if (design_->available() != available_) {
    available_ = !available_;
    emit(available_ ? BrokerRecord::Kind::available : BrokerRecord::Kind::unavailable, 0, 0, now);
  }
}

void BrokerState::report_stale() {
  // One frame per consumer however many receipts a batch named: ref = the first, the text gives the count
  // and the first few (an ACK of 100,000 stale receipts must not answer with 100,000 frames).
  constexpr std::size_t kListed = 8;
  std::stable_sort(stale_.begin(), stale_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < stale_.size();) {
    const ConsumerId consumer = stale_[i].first;
    std::size_t end = i;
    while (end < stale_.size() && stale_[end].first == consumer) ++end;
    const std::uint32_t id = consumer < consumer_sessions_.size() ? consumer_sessions_[consumer] : 0;
    if (const auto it = sessions_.find(id); id != 0 && it != sessions_.end()) {
      const std::size_t count = end - i;
      std::string text = count == 1 ? "receipt " + std::to_string(stale_[i].second) + " is no longer current"
                                    : std::to_string(count) + " receipts are no longer current:";
      if (count > 1) {
        for (std::size_t k = i; k < end && k < i + kListed; ++k) text += " " + std::to_string(stale_[k].second);
        if (count > kListed) text += " ...";
      }
      append_error(scratch_, Error{ErrorCode::stale_receipt, false, stale_[i].second, text});
      send(it->second);
    }
    i = end;
  }
  stale_.clear();
}

void BrokerState::deliver(Time now, const Action& action) {
  QLAB_CHECK(action.consumer < consumer_sessions_.size() && consumer_sessions_[action.consumer] != 0,
             "the design delivered to a consumer without an open pull");
  const std::uint32_t id = consumer_sessions_[action.consumer];
  Session& s = sessions_.at(id);
  QLAB_CHECK(s.credit > 0, "the design delivered beyond the consumer's credit");
  auto found = store_.find(action.message.id);
  if (found == store_.end()) {  // brought back by a failover after the broker forgot it (multi-node designs)
    const auto kept = forgotten_.find(action.message.id);
    QLAB_CHECK(kept != forgotten_.end(), "the design delivered a message the broker does not hold");
    Stored back = std::move(kept->second);
    forgotten_.erase(kept);
    back.payload.assign(action.message.size, '.');
    store(action.message.id, std::move(back));
    found = store_.find(action.message.id);
  }
  Stored& stored = found->second;
  append_deliver(scratch_, action.message.id, action.receipt, action.receive_count,
                 static_cast<std::uint64_t>(stored.published_at), stored.producer_time, stored.key, stored.payload);
  send(s);
  --s.credit;
  ++s.delivered_in_pull;
  ++s.delivered;
  update_idle(s);
  emit(BrokerRecord::Kind::handed_over, action.message.id, action.receive_count, now);
  if (s.return_early && (touched_.empty() || touched_.back() != id)) touched_.push_back(id);
  ++counters_.deliveries;
  if (action.receive_count > 1) ++counters_.redeliveries;
  if (s.credit == 0) set_pull_deadline(s, id, kNever);
  if (info_.keeps_until_ack) {
    if (stored.receipt != 0) receipts_.erase(stored.receipt);
    stored.receipt = action.receipt;
    receipts_[action.receipt] = action.message.id;
  } else {
    ++counters_.handed_over;
    erase_stored(found);
    release_memory();
  }
}

void BrokerState::end_pull(Time now, Session& s, std::uint32_t id) {
  design_->on_pull_cancelled(now, s.consumer, actions_);
  const std::uint32_t withdrawn = s.credit;
  s.credit = 0;
  s.delivered_in_pull = 0;
  set_pull_deadline(s, id, kNever);
  append_pull_end(scratch_, PullEnd{withdrawn});
  send(s);
}

void BrokerState::set_pull_deadline(Session& s, std::uint32_t id, Time deadline) {
  if (s.pull_deadline != kNever) pull_deadlines_.erase({s.pull_deadline, id});
  s.pull_deadline = deadline;
  if (deadline != kNever) pull_deadlines_.insert({deadline, id});
}

void BrokerState::expire_pulls(Time now) {
  while (!pull_deadlines_.empty() && pull_deadlines_.begin()->first <= now) {
    const std::uint32_t id = pull_deadlines_.begin()->second;
    Session& s = sessions_.at(id);
    if (s.credit > 0) {
      end_pull(now, s, id);
    } else {
      set_pull_deadline(s, id, kNever);
    }
    apply(now);
  }
}

void BrokerState::note_unsent(std::uint32_t session, std::uint64_t unsent) {
  const auto it = sessions_.find(session);
  if (unsent == 0 || info_.keeps_until_ack || it == sessions_.end() || it->second.role != Role::consumer) return;
  // The design handed these over and forgot them; they never left the broker.
  const std::uint64_t n = std::min(unsent, counters_.handed_over);
  counters_.handed_over -= n;
  counters_.lost += n;
}

bool BrokerState::greeted(std::uint32_t session) const {
  const auto it = sessions_.find(session);
  return it != sessions_.end() && it->second.greeted;
}

bool BrokerState::idle(std::uint32_t session) const {
  const auto it = sessions_.find(session);
  if (it == sessions_.end() || !it->second.greeted) return false;
  const Session& s = it->second;
  if (s.role == Role::admin) return false;
  if (s.role == Role::consumer) return s.credit == 0 && held_by(s) == 0;
  for (const auto& [message, waiting] : unconfirmed_) {
    if (waiting.session == session) return false;
  }
  return true;
}

void BrokerState::close(Time now, std::uint32_t id) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  advance_waiting_clock(now);
  set_pull_deadline(s, id, kNever);
  if (s.greeted && s.role == Role::consumer) {
    end_idle(s);
    prefetched_waiting_ -= s.prefetched;
    s.credit = 0;
    design_->on_consumer_lost(now, s.consumer, actions_);
    consumer_sessions_[s.consumer] = 0;
  }
  sessions_.erase(it);
  apply(now);
}

void BrokerState::on_timer(Time now) {
  advance_waiting_clock(now);
  if (design_->next_deadline() <= now) {
    design_->on_timer(now, actions_);
    apply(now);
  }
  expire_pulls(now);
}

Time BrokerState::next_deadline() const {
  const Time pulls = pull_deadlines_.empty() ? kNever : pull_deadlines_.begin()->first;
  return std::min(design_->next_deadline(), pulls);
}

nlohmann::ordered_json BrokerState::stats(Time now) const {
  std::size_t consumers = 0;
  std::size_t producers = 0;
  for (const auto& [id, s] : sessions_) {
    if (!s.greeted) continue;
    if (s.role == Role::consumer) ++consumers;
    if (s.role == Role::producer) ++producers;
  }
  nlohmann::ordered_json j;
  j["design"] = info_.name;
  j["uptime"] = to_seconds(now);
  j["published"] = counters_.published;
  j["deliveries"] = counters_.deliveries;
  j["redeliveries"] = counters_.redeliveries;
  j["acked"] = counters_.acked;
  j["released"] = counters_.released;
  j["extended"] = counters_.extended;
  j["stale_refused"] = counters_.stale_refused;
  j["dead_lettered"] = counters_.dead_lettered;
  j["refused"] = counters_.refused;
  j["too_large"] = counters_.too_large;
  j["queue_full"] = counters_.queue_full;
  j["queue_bytes"] = queue_bytes_;
  j["lost"] = counters_.lost;
  j["handed_over"] = counters_.handed_over;
  j["backlog"] = design_->backlog();
  j["held"] = design_->held();
  j["stored"] = store_.size();
  j["nodes"] = design_->node_count();
  j["leader"] = design_->leader();
  j["available"] = design_->available();
  // Seconds each consumer (by name) spent holding nothing while a message waited (ongoing periods included).
  const Time clock = waiting_clock_ + (waiting() > 0 ? now - waiting_clock_at_ : 0);
  nlohmann::ordered_json idle = nlohmann::ordered_json::object();
  for (const auto& [name, consumer] : consumer_names_) {
    Time total = consumer < idle_with_backlog_.size() ? idle_with_backlog_[consumer] : 0;
    const std::uint32_t session = consumer_sessions_[consumer];
    if (const auto it = sessions_.find(session); session != 0 && it != sessions_.end() && it->second.waiting_clock_at_idle >= 0) {
      total += clock - it->second.waiting_clock_at_idle;
    }
    idle[name] = to_seconds(total);
  }
  j["idle_with_backlog"] = idle;
  j["sessions"] = sessions_.size();
  j["producers"] = producers;
  j["consumers"] = consumers;
  j["sessions_opened"] = counters_.sessions_opened;
  j["protocol_errors"] = counters_.protocol_errors;
  j["slow_reader_disconnects"] = counters_.slow_reader_disconnects;
  j["timeouts"] = counters_.timeouts;
  j["connections_refused"] = counters_.connections_refused;
  return j;
}

std::uint64_t BrokerState::held_by(const Session& s) {
  const std::uint64_t finished = s.pulled - s.capacity;
  return s.delivered > finished ? s.delivered - finished : 0;
}

std::uint64_t BrokerState::waiting() const { return design_->backlog() + prefetched_waiting_; }

void BrokerState::advance_waiting_clock(Time now) {
  if (waiting() > 0) waiting_clock_ += now - waiting_clock_at_;
  waiting_clock_at_ = now;
}

void BrokerState::update_idle(Session& s) {
  const std::uint64_t held = held_by(s);
  const std::uint64_t prefetched = held > 1 ? held - 1 : 0;
  prefetched_waiting_ = prefetched_waiting_ - s.prefetched + prefetched;
  s.prefetched = prefetched;
  if (held == 0 && s.waiting_clock_at_idle < 0) s.waiting_clock_at_idle = waiting_clock_;
  if (held > 0) end_idle(s);
}

void BrokerState::end_idle(Session& s) {
  if (s.waiting_clock_at_idle < 0) return;
  if (idle_with_backlog_.size() <= s.consumer) idle_with_backlog_.resize(s.consumer + 1, 0);
  idle_with_backlog_[s.consumer] += waiting_clock_ - s.waiting_clock_at_idle;
  s.waiting_clock_at_idle = -1;
}

}  // namespace qlab::live
