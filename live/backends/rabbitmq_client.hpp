#pragma once
// BrokerClient for RabbitMQ (AMQP 0-9-1 through rabbitmq-c; see rabbitmq_layout.hpp for the queues).
//
// publish: basic.publish (persistent, headers qlab-id and qlab-intended) on a channel in confirm mode; the
//   broker's basic.ack/nack (or none within kPublishTimeout) is the PublishResult. No deduplication.
// pull: credit. The first pull starts a consumer (basic.consume, manual acks) whose prefetch (basic.qos) is
//   that pull's count, the worker's prefetch. AMQP pushes: deliveries beyond the credit wait in the client
//   (still unacked at the broker, so a crash gives them back) until pulled.
// ack/release: basic.ack / basic.reject with requeue. extend cannot be expressed (RabbitMQ has no per-delivery
//   timeout): a warning. receive_count: x-delivery-count + 1 on quorum queues; 2 for any redelivery on
//   classic ones (they only say `redelivered`). At-most-once designs ack each delivery as it is handed out.
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "live/backends/broker_client.hpp"
#include "live/backends/pending_publishes.hpp"
#include "live/backends/rabbitmq_connection.hpp"
#include "live/backends/rabbitmq_layout.hpp"

namespace qlab::live {

class RabbitmqClient final : public BrokerClient {
 public:
  static constexpr Time kPublishTimeout = 5 * kSecond;
  static constexpr Time kConnectTimeout = 5 * kSecond;

  // Connects and declares the queues it uses (a consumer its own; a producer each as it first publishes).
  explicit RabbitmqClient(const ClientConfig& config);

  void publish(std::span<const PublishRequest> batch) override;
  void pull(std::uint32_t count) override;
  void ack(std::uint64_t receipt) override;
  void release(std::uint64_t receipt) override;
  void extend(std::uint64_t receipt, Time timeout) override;
  std::size_t poll(Time timeout, BrokerEvents& events) override;
  void flush(Time timeout) override;

 private:
  // Reads one frame (waiting at most `timeout`); false when none came.
  bool read_frame(Time timeout, BrokerEvents& events, std::size_t& count);
  void on_deliver(std::uint64_t delivery_tag, bool redelivered);
  std::size_t hand_out(BrokerEvents& events);
  void settle(std::uint64_t receipt, bool ack);

  ClientConfig config_;
  RabbitmqLayout layout_;
  RabbitmqConnection connection_;
  std::set<std::string> declared_;
  std::uint64_t next_publish_tag_ = 1;  // confirm mode numbers publishes from 1 on the channel
  std::uint64_t turn_ = 0;
  PendingPublishes publishes_;          // by publish tag
  bool consuming_ = false;
  std::uint32_t credit_ = 0;           // deliveries the worker still asked for
  std::deque<Delivery> waiting_;       // delivered by the broker beyond the credit
  std::set<std::uint64_t> unacked_;    // handed to the worker, not yet acked or released
  std::vector<std::string> warnings_;
};

}  // namespace qlab::live
