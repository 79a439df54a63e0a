#include "live/backends/nats_layout.hpp"

#include <stdexcept>

namespace qlab::live {

NatsLayout::NatsLayout(const QueueSpec& queue, const nlohmann::json& backend_options) : mapping_(queue, "nats") {
  if (mapping_.keeps_until_ack) {
    ack_wait_ = mapping_.visibility_timeout;
    max_deliver_ = mapping_.max_receives == 0 ? -1 : mapping_.max_receives;
  }
  if (!backend_options.is_object()) throw std::invalid_argument("nats: live.backend_options must be a mapping");
  for (const auto& [key, value] : backend_options.items()) {
    if (key == "storage" && value.is_string() && (value == "file" || value == "memory")) {
      storage_ = value.get<std::string>();
    } else if (key == "dedup" && value.is_boolean()) {
      dedup_ = value.get<bool>();
    } else if (key == "storage" || key == "dedup") {
      throw std::invalid_argument("nats: live.backend_options." + key + ": expected " +
                                  (key == "storage" ? "file or memory" : "true or false") + ", got " + value.dump());
    } else {
      throw std::invalid_argument("nats: live.backend_options." + key + " is not an option of this back end " +
                                  "(known: storage, dedup)");
    }
  }
}

std::string NatsLayout::subject(std::uint32_t consumer) const {
  return mapping_.preassigned ? "qlab.q." + std::to_string(consumer) : std::string("qlab.q.all");
}

std::string NatsLayout::durable(std::uint32_t consumer) const {
  return mapping_.preassigned ? "c" + std::to_string(consumer) : std::string("workers");
}

nlohmann::json NatsLayout::stream_config() const {
  return {{"name", kStream},           {"subjects", {"qlab.q.>"}}, {"retention", "workqueue"},
          {"storage", storage_},       {"num_replicas", mapping_.replicas}, {"discard", "old"},
          {"duplicate_window", 120 * kSecond}};
}

nlohmann::json NatsLayout::dead_stream_config() const {
  return {{"name", kDeadStream}, {"subjects", {kDeadSubject}}, {"retention", "limits"},
          {"storage", storage_}, {"num_replicas", mapping_.replicas},  {"duplicate_window", 120 * kSecond}};
}

nlohmann::json NatsLayout::consumer_config(std::uint32_t consumer) const {
  nlohmann::json config = {{"durable_name", durable(consumer)}, {"ack_policy", "explicit"},
                           {"ack_wait", ack_wait_},             {"max_deliver", max_deliver_},
                           {"deliver_policy", "all"},           {"replay_policy", "instant"},
                           {"max_ack_pending", -1},             {"max_waiting", 512}};
  if (mapping_.preassigned) config["filter_subject"] = subject(consumer);
  return config;
}

nlohmann::json jetstream_call(NatsConnection& connection, const std::string& subject, const nlohmann::json& body,
                              Time timeout) {
  const NatsMessage answer = connection.request(subject, "", body.is_null() ? "" : body.dump(), timeout);
  if (answer.status() == 503) throw BackendError("nats: JetStream is not available (no responders)", true);
  const nlohmann::json reply = nlohmann::json::parse(answer.payload, nullptr, false);
  if (!reply.is_object()) throw BackendError("nats: " + subject + " answered '" + answer.payload + "'", false);
  if (reply.contains("error")) {
    const nlohmann::json& error = reply["error"];
    const bool unavailable = error.is_object() && error.contains("code") && error["code"].is_number() &&
                             (error["code"] == 503 || error["code"] == 504);
    // 503 (no meta leader, stream offline) and 504 (timeout) pass during elections.
    throw BackendError("nats: " + subject + ": " + error.dump(), unavailable);
  }
  return reply;
}

void declare_nats_streams(NatsConnection& connection, const NatsLayout& layout, Time timeout) {
  for (const nlohmann::json& config : {layout.stream_config(), layout.dead_stream_config()}) {
    jetstream_call(connection, "$JS.API.STREAM.CREATE." + config["name"].get<std::string>(), config, timeout);
  }
}

}  // namespace qlab::live
