#pragma once
// BrokerClient for NATS JetStream (see nats_layout.hpp for the streams and consumers it uses).
//
// publish: HPUB to the stream's subject with headers Qlab-Id, Qlab-Intended (and Nats-Msg-Id for the
//   stream's deduplication of retried publishes); the JetStream PubAck (or an error, or no answer within
//   kPublishTimeout) is the PublishResult.
// pull: pull requests ($JS.API.CONSUMER.MSG.NEXT) with a server-side expiry, each on its own reply
//   subscription (pulled messages arrive on their original subject: they are routed by subscription id);
//   credit left in an expired or lost request (its consumer leader died) is asked for again.
// ack/release/extend: +ACK / -NAK / +WPI on the delivery's reply subject. +WPI restarts the full ack_wait,
//   whatever `timeout` asked for. At-most-once designs ack on receipt (ack is then a no-op).
// Dead letters: a message that used up max_deliver stays in a work-queue stream, so a consumer that hears
//   the MAX_DELIVERIES advisory (one per durable, through a queue group) copies it to QLAB_DEAD and deletes it.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "live/backends/broker_client.hpp"
#include "live/backends/nats_connection.hpp"
#include "live/backends/nats_layout.hpp"
#include "live/backends/pending_publishes.hpp"

namespace qlab::live {

class NatsClient final : public BrokerClient {
 public:
  static constexpr Time kPublishTimeout = 5 * kSecond;  // no PubAck by then: refused (the producer retries)
  static constexpr Time kPullExpiry = 2 * kSecond;      // a pull request's server-side expiry
  static constexpr Time kApiTimeout = 2 * kSecond;

  // Connects (to the endpoints in turn, starting at one picked by the client's name so a cluster's clients
  // spread out); a consumer also declares its durable consumer. Throws BackendError.
  explicit NatsClient(const ClientConfig& config);

  void publish(std::span<const PublishRequest> batch) override;
  void pull(std::uint32_t count) override;
  void ack(std::uint64_t receipt) override;
  void release(std::uint64_t receipt) override;
  void extend(std::uint64_t receipt, Time timeout) override;
  std::size_t poll(Time timeout, BrokerEvents& events) override;
  void flush(Time timeout) override;

  const std::string& server_version() const { return connection_.server_version(); }

 private:
  struct PullRequest {
    std::uint32_t remaining = 0;
    Time deadline = 0;  // no answer by then: the request died with its consumer leader
  };

  // Waits (at most kApiTimeout) until the durable consumer has a leader: on a cluster a new durable has none for
  // a few ms after its creation, and a pull request sent meanwhile is dropped unanswered (the client would ask
  // again only when it expires, seconds later).
  void await_durable_leader();
  std::size_t on_message(const NatsMessage& message, BrokerEvents& events);
  std::size_t on_publish_answer(const NatsMessage& message, BrokerEvents& events);
  std::size_t on_pulled(const NatsMessage& message, PullRequest& request, BrokerEvents& events);
  void on_max_deliveries(const NatsMessage& advisory);
  // Answers each PubAck or pull request that is overdue.
  std::size_t on_deadlines(Time now, BrokerEvents& events);
  void request_credit();
  void reply(std::uint64_t receipt, std::string_view verb, bool forget);

  ClientConfig config_;
  NatsLayout layout_;
  NatsConnection connection_;
  std::string durable_;
  std::uint64_t publish_sid_ = 0;
  std::uint64_t advisory_sid_ = 0;
  std::uint64_t next_token_ = 1;
  std::uint64_t next_receipt_ = 1;
  std::uint64_t turn_ = 0;
  std::uint32_t unrequested_ = 0;  // credit not yet asked for (at most kMaxRequests requests are open)
  PendingPublishes publishes_;                                    // by the reply subject's token
  std::unordered_map<std::uint64_t, PullRequest> pulls_;         // by subscription id
  std::unordered_map<std::uint64_t, std::string> receipts_;      // receipt -> the delivery's ack subject
  std::vector<std::string> warnings_;
};

}  // namespace qlab::live
