#pragma once
// How a scenario's queue maps onto RabbitMQ: one queue "qlab" on the default exchange (or "qlab.<i>" per
// consumer for `preassigned`), and "qlab.dead" for what used up its deliveries. Quorum queues by default:
// they count deliveries (x-delivery-count), dead-letter at x-delivery-limit and replicate; classic queues
// have neither. The visibility timeout becomes the broker's consumer_timeout (a channel whose oldest
// unacked delivery is older is closed, so all its deliveries return), which the launcher sets.
//
// backend_options: {queue_type: quorum|classic (default quorum)}.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"
#include "core/time.hpp"
#include "live/backends/queue_mapping.hpp"

namespace qlab::live {

class RabbitmqLayout {
 public:
  static constexpr const char* kQueue = "qlab";
  static constexpr const char* kDeadQueue = "qlab.dead";

  // Throws std::invalid_argument naming the key it cannot use or express.
  RabbitmqLayout(const QueueSpec& queue, const nlohmann::json& backend_options);

  const QueueMapping& mapping() const { return mapping_; }
  bool preassigned() const { return mapping_.preassigned; }
  bool keeps_until_ack() const { return mapping_.keeps_until_ack; }
  bool quorum() const { return quorum_; }
  std::uint32_t replicas() const { return mapping_.replicas; }
  // x-delivery-limit: how many times a message may come back before it is dead-lettered; -1: no limit.
  std::int64_t delivery_limit() const { return delivery_limit_; }
  // The broker's consumer_timeout (0: none, at-most-once designs).
  Time consumer_timeout() const { return consumer_timeout_; }
  // The queue of consumer `consumer` (every consumer's when not preassigned).
  std::string queue(std::uint32_t consumer) const;

 private:
  QueueMapping mapping_;
  bool quorum_ = true;
  std::int64_t delivery_limit_ = -1;
  Time consumer_timeout_ = 0;
};

}  // namespace qlab::live
