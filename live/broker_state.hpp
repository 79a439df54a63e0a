#pragma once
// The broker's in-memory state, apart from any socket (Asio's chat "room"): one queue design from the
// registry, the stored payloads, and each connection's role, credit and long-poll deadline. Connections
// reach it as whole decoded frames; it answers through the one-method Peer interface. Every call takes
// `now` (ns since broker start) and the caller re-arms one timer to next_deadline(). Single-threaded.
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "live/protocol.hpp"
#include "queues/design_registry.hpp"
#include "queues/queue_design.hpp"

namespace qlab::live {

// A connection as the state sees it. deliver() queues whole frames and must not call back into the state.
class Peer {
 public:
  virtual ~Peer() = default;
  virtual void deliver(std::span<const std::uint8_t> frames) = 0;
};

using LogSink = std::function<void(const std::string& line)>;

// What qlab live needs from the broker's point of view, one record per event (see BrokerState::record_to):
// a delivery handed over (`count` = its receive count), a message the design lost (`count` = the node whose
// crash lost it), a message dead-lettered, the design becoming unavailable or available again (no message).
struct BrokerRecord {
  enum class Kind : char { handed_over = 'H', lost = 'L', dead_lettered = 'X', unavailable = 'U', available = 'A' };
  Kind kind = Kind::handed_over;
  MessageId message = 0;
  std::uint32_t count = 0;
  Time now = 0;
};
using RecordSink = std::function<void(const BrokerRecord& record)>;

struct BrokerCounters {
  std::uint64_t published = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t redeliveries = 0;
  std::uint64_t acked = 0;          // acks of a current receipt that deleted its message (at-least-once designs)
  std::uint64_t released = 0;       // releases of a current receipt the design accepted
  std::uint64_t extended = 0;       // extends of a current receipt the design accepted
  std::uint64_t stale_refused = 0;  // ack_rejected + ack_ignored
  std::uint64_t dead_lettered = 0;
  std::uint64_t refused = 0;        // publishes the design refused (not accepted)
  std::uint64_t too_large = 0;      // publishes refused: payload above kMaxPayloadLength
  std::uint64_t queue_full = 0;     // publishes refused: the broker held max_queue_bytes
  // Messages the design lost for good, and at-most-once messages still in the write queue of a consumer
  // dropped as a slow reader (handed over by the design, never sent).
  std::uint64_t lost = 0;
  std::uint64_t handed_over = 0;    // at-most-once designs: deliveries that removed the message and were sent
  std::uint64_t sessions_opened = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t slow_reader_disconnects = 0;
  std::uint64_t timeouts = 0;       // connections closed by the handshake or idle timeout
  std::uint64_t connections_refused = 0;  // connections over max_connections
};

// What the broker counts against --max-queue-bytes for one stored message: its payload plus this much
// bookkeeping (the store's node, the design's entry, the receipt index), so that many small messages
// are bounded too.
inline constexpr std::size_t kStoredMessageOverhead = 160;

class BrokerState {
 public:
  enum class Verdict { keep, close };  // close: the frame was fatal; an ERROR frame has been queued

  // `params` must be complete (with_defaults) and valid for `design`. The design draws from the stream
  // "queue" of `seed` (the simulator's name), or "queue/INCARNATION" for a broker restarted after a crash.
  // Message ids start at `first_message_id` (a restarted broker starts above its predecessor's ids).
  BrokerState(const DesignInfo& design, const DesignParams& params, std::string token, std::uint64_t seed,
              LogSink log, MessageId first_message_id = 1, std::uint32_t incarnation = 0);
  ~BrokerState();
  BrokerState(const BrokerState&) = delete;
  BrokerState& operator=(const BrokerState&) = delete;

  // A new connection from `peer_name` (for log lines). Returns its session id (> 0).
  std::uint32_t open(Peer& peer, std::string peer_name);
  // One whole frame whose header decode_header() accepted.
  Verdict on_frame(Time now, std::uint32_t session, const FrameHeader& header, std::span<const std::uint8_t> body);
  // The connection is gone (closed, reset, or dropped as a slow reader): a consumer's deliveries are
  // handled as the design's on_consumer_lost says. Idempotent.
  void close(Time now, std::uint32_t session);
  void note_slow_reader() { ++counters_.slow_reader_disconnects; }
  // `unsent` DELIVER frames to `session` will never be sent (its connection is gone or dropped as a slow
  // reader): an at-most-once design's messages among them are lost, not handed over. Safe to call from
  // Peer::deliver.
  void note_unsent(std::uint32_t session, std::uint64_t unsent);
  void note_timeout() { ++counters_.timeouts; }
  void note_connection_refused() { ++counters_.connections_refused; }
  // Publishes that would take the stored messages above `bytes` (kStoredMessageOverhead included) are
  // refused with PublishStatus::queue_full; 0: no limit.
  void set_max_queue_bytes(std::size_t bytes) { max_queue_bytes_ = bytes; }
  std::size_t queue_bytes() const { return queue_bytes_; }
  // Whether the session's HELLO was accepted.
  bool greeted(std::uint32_t session) const;
  // A producer or consumer session with nothing in flight: no open credit, no delivery held, no publish
  // awaiting the design's confirmation (admin sessions are never idle).
  bool idle(std::uint32_t session) const;
  // Every hand-over, loss and dead-letter from now on is also passed to `sink` (qlab live's broker records).
  void record_to(RecordSink sink) { record_ = std::move(sink); }
  void note_protocol_error() { ++counters_.protocol_errors; }

  void on_timer(Time now);
  // Earliest of the design's deadline and every long-poll deadline; kNever when none.
  Time next_deadline() const;

  const BrokerCounters& counters() const { return counters_; }
  const DesignInfo& design_info() const { return info_; }
  std::size_t stored_messages() const { return store_.size(); }
  nlohmann::ordered_json stats(Time now) const;
  // stats() as the JSON text of a STATS_OK (never throws on odd client names).
  std::string stats_text(Time now) const;

 private:
  struct Session {
    Peer* peer = nullptr;
    std::string peer_name;
    bool greeted = false;
    Role role = Role::producer;
    std::string client_name;
    ConsumerId consumer = 0;
    std::uint32_t credit = 0;           // open pull credit not yet used by deliveries
    Time pull_deadline = kNever;
    bool return_early = false;
    std::uint32_t delivered_in_pull = 0;
    // What the consumer holds, as its credit tells: a consumer opens `capacity` (its first PULL), and each
    // later PULL of n says n messages were finished. held = delivered - (pulled - capacity).
    std::uint32_t capacity = 0;
    std::uint64_t pulled = 0;
    std::uint64_t delivered = 0;
    std::uint64_t prefetched = 0;     // its share of prefetched_waiting_
    Time waiting_clock_at_idle = -1;  // while it holds nothing: the waiting clock when it became idle
  };
  struct Stored {
    std::string payload;
    std::uint64_t producer_time = 0;
    std::uint64_t key = 0;
    Time published_at = 0;
    Receipt receipt = 0;  // the latest delivery's receipt (at-least-once designs)
  };

  Verdict refuse(Session& s, std::uint32_t id, ErrorCode code, const std::string& text);
  Verdict on_hello(Time now, Session& s, std::uint32_t id, const Hello& hello);
  void on_publish(Time now, Session& s, std::uint32_t session_id, const Publish& publish);
  void on_pull(Time now, Session& s, std::uint32_t id, const Pull& pull);
  void on_ack(Time now, Session& s, const Receipts& receipts);
  // Applies every action in actions_, then ends the pulls that asked to return early.
  void apply(Time now);
  void deliver(Time now, const Action& action);
  // Sends a one-entry PUBLISH_OK for a design's confirm/refuse action.
  void settle_publish(const Action& action, PublishStatus status);
  void forget_message(MessageId id);
  Stored& store(MessageId id, Stored stored);
  void erase_stored(std::unordered_map<MessageId, Stored>::iterator it);
  // After a drain, hands memory back to the system (the store's buckets, then malloc_trim).
  void release_memory();
  // Whether the design refused `receipt` among the actions from index `first` on.
  bool refused_receipt(std::size_t first, Receipt receipt) const;
  // One non-fatal stale_receipt ERROR per consumer for the receipts refused during the last apply().
  void report_stale();
  void end_pull(Time now, Session& s, std::uint32_t id);
  void expire_pulls(Time now);
  void set_pull_deadline(Session& s, std::uint32_t id, Time deadline);
  void send(Session& s);  // hands scratch_ to the peer
  void on_control(Time now, const nlohmann::json& order);
  void emit(BrokerRecord::Kind kind, MessageId message, std::uint32_t count, Time now) const {
    if (record_) record_({kind, message, count, now});
  }
  // idle_with_backlog, as the simulator defines it, from the broker's view: a consumer holding nothing is
  // idle; a message waits while the design holds it undelivered or while it sits in a consumer's prefetch
  // behind the one being processed. The waiting clock counts the time any message waited.
  static std::uint64_t held_by(const Session& s);
  void advance_waiting_clock(Time now);  // at every input, before it changes anything
  void update_idle(Session& s);          // after s's holdings changed
  void end_idle(Session& s);
  std::uint64_t waiting() const;

  const DesignInfo& info_;
  std::unique_ptr<QueueDesign> design_;
  std::string token_;
  LogSink log_;
  std::unordered_map<std::uint32_t, Session> sessions_;
  std::uint32_t next_session_ = 1;
  std::vector<std::uint32_t> consumer_sessions_;  // by ConsumerId: the session holding it, 0 = none
  std::unordered_map<std::string, ConsumerId> consumer_names_;
  std::set<std::pair<Time, std::uint32_t>> pull_deadlines_;
  std::unordered_map<MessageId, Stored> store_;
  std::unordered_map<Receipt, MessageId> receipts_;  // at-least-once designs: current receipts
  // Multi-node designs: acked or dead-lettered messages a failover may bring back (metadata only).
  std::unordered_map<MessageId, Stored> forgotten_;
  // Designs that confirm publishes themselves: who waits for each message's confirmation.
  struct Unconfirmed {
    std::uint32_t session = 0;
    std::uint64_t client_seq = 0;
  };
  std::unordered_map<MessageId, Unconfirmed> unconfirmed_;
  MessageId next_message_ = 1;
  ActionBuffer actions_;
  RecordSink record_;
  bool available_ = true;
  Time waiting_clock_ = 0;
  Time waiting_clock_at_ = 0;
  std::uint64_t prefetched_waiting_ = 0;      // sum over consumers of max(0, held - 1)
  std::vector<Time> idle_with_backlog_;       // by ConsumerId: idle periods that ended
  std::vector<std::uint32_t> touched_;  // sessions that got deliveries during apply()
  std::vector<std::uint8_t> scratch_;
  std::vector<std::pair<ConsumerId, Receipt>> stale_;  // refused receipts waiting for report_stale()
  std::size_t max_queue_bytes_ = 0;
  std::size_t queue_bytes_ = 0;
  std::size_t peak_queue_bytes_ = 0;  // of the current large queue (see release_memory())
  std::size_t release_below_ = 0;     // release_memory() works once queue_bytes_ is at most this
  BrokerCounters counters_;
};

}  // namespace qlab::live
