#pragma once
// The one interface live workers use to talk to a broker, whichever runs behind it (qlab's own broker, NATS
// JetStream, Redis Streams, beanstalkd, RabbitMQ). Sends never wait for a reply: confirmations, refusals and
// deliveries come back through poll(). Everything broker-specific (wire protocol, how a receipt is spelt, how
// a message id and its intended send time travel) stays behind this interface, so the ledger joins the
// records of every back end the same way.
//
// A client may queue what it sends until the next poll() or flush() (qlab's, Redis's and beanstalkd's do: one
// write per poll), so a worker polls regularly and flushes before it exits.
//
// Not thread-safe: one thread per client. A client is one connection (or one set of connections to a
// cluster); after a BackendError with connection_lost the worker discards it and connects a new one.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"
#include "core/time.hpp"

namespace qlab::live {

// The broker is unreachable or closed the connection (connection_lost: reconnect and carry on), or it
// refused something that no retry can fix (a misconfiguration or a bug: the run fails).
struct BackendError : std::runtime_error {
  BackendError(const std::string& what, bool lost) : std::runtime_error(what), connection_lost(lost) {}
  bool connection_lost;
};

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

enum class ClientRole { producer, consumer };

// Everything a client needs to connect and to map the scenario's queue onto its back end.
struct ClientConfig {
  ClientRole role = ClientRole::producer;
  std::string name;                     // "group[i]": stable across restarts of the process
  std::uint32_t consumer_index = 0;     // consumers: global index in scenario order (preassigned routing)
  std::uint32_t consumer_count = 0;     // all consumers of the scenario (preassigned routing)
  std::vector<Endpoint> endpoints;      // a cluster: any node will do, the client fails over among them
  std::string token;                    // qlab broker only
  QueueSpec queue;                      // the scenario's design and its parameters (time-scaled)
  nlohmann::json backend_options = nlohmann::json::object();  // live.backend_options of the scenario
};

// One message to publish. `message_id` is unique in the run (the worker derives it from producer and sequence);
// a back end that assigns its own ids (qlab) reports those in PublishResult instead, and deliveries carry
// whichever id the PublishResult named.
struct PublishRequest {
  std::uint64_t client_seq = 0;
  std::uint64_t message_id = 0;
  std::uint64_t key = 0;
  Time intended = 0;                    // the arrival process's send time (steady clock ns)
  std::string payload;
};

struct PublishResult {
  std::uint64_t client_seq = 0;
  std::uint64_t message_id = 0;
  bool accepted = true;                 // false: the broker refused it (unavailable, over a limit)
};

struct Delivery {
  std::uint64_t message_id = 0;
  std::uint64_t receipt = 0;            // names this delivery for ack/release/extend; never 0
  std::uint32_t receive_count = 1;      // 1 on the first delivery
  Time intended = 0;                    // the PublishRequest's intended time
};

// Where poll() reports what the broker said.
class BrokerEvents {
 public:
  virtual ~BrokerEvents() = default;
  virtual void on_published(const PublishResult& result) = 0;
  virtual void on_delivery(const Delivery& delivery) = 0;
  // Something non-fatal the broker said (a stale receipt, a refused extend): logged, counted, never thrown.
  virtual void on_warning(const std::string& text) = 0;
};

class BrokerClient {
 public:
  virtual ~BrokerClient() = default;
  // Sends the batch; each message's PublishResult arrives through poll().
  virtual void publish(std::span<const PublishRequest> batch) = 0;
  // Opens credit for `count` more deliveries (a long poll that stays open until filled).
  virtual void pull(std::uint32_t count) = 0;
  // Processing of that delivery finished: delete it. Stale receipts become warnings.
  virtual void ack(std::uint64_t receipt) = 0;
  // Give the delivery back unprocessed (nack): available again at once. Capabilities::release.
  virtual void release(std::uint64_t receipt) = 0;
  // Keep the delivery hidden `timeout` longer (change visibility). Capabilities::extend.
  virtual void extend(std::uint64_t receipt, Time timeout) = 0;
  // Waits at most `timeout` for the broker; reports what arrived to `events`; returns how many events.
  // Throws BackendError.
  virtual std::size_t poll(Time timeout, BrokerEvents& events) = 0;
  // Returns when everything sent so far (acks included) has reached the broker, or throws after `timeout`.
  virtual void flush(Time timeout) = 0;
};

}  // namespace qlab::live
