#include "live/backends/rabbitmq_layout.hpp"

#include <stdexcept>

#include "live/backends/broker_client.hpp"
#include "live/backends/queue_mapping.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {

RabbitmqLayout::RabbitmqLayout(const QueueSpec& queue, const nlohmann::json& backend_options) {
  const DesignInfo* design = find_design(queue.design);
  if (design == nullptr) throw std::invalid_argument("rabbitmq: unknown design '" + queue.design + "'");
  preassigned_ = queue.design == "preassigned";
  keeps_until_ack_ = design->keeps_until_ack;
  assignment_ = param_or<std::string>(queue, "assignment", "round_robin");
  replicas_ = static_cast<std::uint32_t>(param_or<std::int64_t>(queue, "replicas", 1));
  if (keeps_until_ack_) {
    consumer_timeout_ = param_or<std::int64_t>(queue, "visibility_timeout", 30 * kSecond);
    const std::int64_t max_receives = param_or<std::int64_t>(queue, "max_receives", 0);
    delivery_limit_ = max_receives == 0 ? -1 : max_receives - 1;  // dead-lettered once returned more often
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
  return preassigned_ ? std::string(kQueue) + "." + std::to_string(consumer) : std::string(kQueue);
}

std::uint32_t RabbitmqLayout::assign(std::uint64_t message_id, std::uint64_t key, std::uint64_t turn,
                                     std::uint32_t consumers) const {
  if (consumers == 0) throw BackendError("rabbitmq: a preassigned producer needs consumer_count > 0", false);
  return preassigned_consumer(assignment_, message_id, key, turn, consumers);
}

}  // namespace qlab::live
