#include "live/backends/queue_mapping.hpp"

#include <stdexcept>
#include <variant>

#include "core/random_stream.hpp"
#include "live/backends/broker_client.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {
namespace {

template <typename T>
T param_or(const QueueSpec& queue, const std::string& name, T fallback) {
  const auto it = queue.params.find(name);
  if (it == queue.params.end()) return fallback;
  const T* value = std::get_if<T>(&it->second);
  return value != nullptr ? *value : fallback;
}

}  // namespace

QueueMapping::QueueMapping(const QueueSpec& queue, const std::string& backend_name) : backend(backend_name) {
  const std::string& design = queue.design;
  const DesignInfo* info = find_design(design);
  if (info == nullptr || (design != "pull" && design != "preassigned" && design != "visibility_timeout" &&
                          design != "replicated")) {
    throw std::invalid_argument(backend + " cannot express queue.design: " + design +
                                " (it maps pull, preassigned, visibility_timeout and replicated)");
  }
  preassigned = design == "preassigned";
  keeps_until_ack = info->keeps_until_ack;
  assignment = param_or<std::string>(queue, "assignment", "round_robin");
  replicas = static_cast<std::uint32_t>(param_or<std::int64_t>(queue, "replicas", 1));
  visibility_timeout = param_or<std::int64_t>(queue, "visibility_timeout", 30 * kSecond);
  max_receives = param_or<std::int64_t>(queue, "max_receives", 0);
  release_on_disconnect = param_or(queue, "release_on_disconnect", false);
  acks_leader = param_or<std::string>(queue, "acks", "all") == "leader";
  unclean_election = param_or(queue, "unclean_election", false);
}

std::uint32_t QueueMapping::assign(std::uint64_t message_id, std::uint64_t key, std::uint64_t turn,
                                   std::uint32_t consumers) const {
  if (consumers == 0) throw BackendError(backend + ": a preassigned producer needs consumer_count > 0", false);
  if (assignment == "hash") return static_cast<std::uint32_t>(mix64(key) % consumers);
  if (assignment == "random") return static_cast<std::uint32_t>(mix64(message_id) % consumers);
  return static_cast<std::uint32_t>(turn % consumers);
}

}  // namespace qlab::live
