#include "live/backends/rabbitmq_layout.hpp"

#include <stdexcept>

namespace qlab::live {

RabbitmqLayout::RabbitmqLayout(const QueueSpec& queue, const nlohmann::json& backend_options)
    : mapping_(queue, "rabbitmq") {
  if (mapping_.keeps_until_ack) {
    consumer_timeout_ = mapping_.visibility_timeout;
    // Dead-lettered once returned more often than the limit, i.e. at the max_receives-th return.
    delivery_limit_ = mapping_.max_receives == 0 ? -1 : mapping_.max_receives - 1;
  }
  if (!backend_options.is_object()) throw std::invalid_argument("rabbitmq: live.backend_options must be a mapping");
  for (const auto& [key, value] : backend_options.items()) {
    if (key != "queue_type") {
      throw std::invalid_argument("rabbitmq: live.backend_options." + key +
                                  " is not an option of this back end (known: queue_type)");
    }
    if (!value.is_string() || (value != "quorum" && value != "classic")) {
      throw std::invalid_argument("rabbitmq: live.backend_options.queue_type: expected quorum or classic, got " +
                                  value.dump());
    }
    quorum_ = value == "quorum";
  }
  if (!quorum_ && delivery_limit_ >= 0) {
    throw std::invalid_argument("rabbitmq cannot express queue.max_receives with queue_type: classic "
                                "(only quorum queues have a delivery limit)");
  }
}

std::string RabbitmqLayout::queue(std::uint32_t consumer) const {
  return mapping_.preassigned ? std::string(kQueue) + "." + std::to_string(consumer) : std::string(kQueue);
}

}  // namespace qlab::live
