#pragma once
// One AMQP 0-9-1 connection (rabbitmq-c) with channel 1 open, logged in as guest over loopback, heartbeats
// off (a stalled consumer keeps its connection; the consumer_timeout decides). Errors are BackendError,
// connection_lost when the socket or the channel is gone.
#include <amqp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"
#include "live/backends/rabbitmq_layout.hpp"

namespace qlab::live {

// AMQP values from and for rabbitmq-c.
std::string amqp_text(amqp_bytes_t bytes);
amqp_table_entry_t amqp_number_entry(const char* key, std::int64_t value);

class RabbitmqConnection {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  // Tries `endpoints` in turn from index `first`. Throws BackendError (lost) when none logs in.
  RabbitmqConnection(const std::vector<Endpoint>& endpoints, std::size_t first, Time timeout);
  ~RabbitmqConnection();
  RabbitmqConnection(const RabbitmqConnection&) = delete;
  RabbitmqConnection& operator=(const RabbitmqConnection&) = delete;

  amqp_connection_state_t state() const { return state_; }
  // "RabbitMQ 3.10.8", from the server properties.
  std::string server_version() const;
  // Declares queue `name` as `layout` says (idempotent); the dead-letter queue when name is kDeadQueue.
  void declare_queue(const RabbitmqLayout& layout, const std::string& name);
  // Throws unless `status` is AMQP_STATUS_OK.
  void check_status(int status, const std::string& what) const;
  // Throws unless the last synchronous call succeeded.
  void check_reply(const std::string& what) const;
  [[noreturn]] void fail(const std::string& what, bool lost) const;

 private:
  amqp_connection_state_t state_ = nullptr;
  Endpoint endpoint_;
};

}  // namespace qlab::live
