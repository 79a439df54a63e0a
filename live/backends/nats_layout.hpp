#pragma once
// How a scenario's queue maps onto JetStream: one work-queue stream "QLAB" on subjects qlab.q.>, a durable
// pull consumer shared by every consumer (or one per consumer with its own subject for `preassigned`), and a
// stream "QLAB_DEAD" that receives what used up max_deliver. The launcher declares the streams, each consumer
// client its consumer; both build their JSON here so they always agree.
//
// backend_options: {storage: file|memory (default file), dedup: true|false (default true: Nats-Msg-Id)}.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"
#include "core/time.hpp"
#include "live/backends/nats_connection.hpp"
#include "live/backends/queue_mapping.hpp"

namespace qlab::live {

class NatsLayout {
 public:
  static constexpr const char* kStream = "QLAB";
  static constexpr const char* kDeadStream = "QLAB_DEAD";
  static constexpr const char* kDeadSubject = "qlab.dead";

  // Throws std::invalid_argument naming the key it cannot use.
  NatsLayout(const QueueSpec& queue, const nlohmann::json& backend_options);

  const QueueMapping& mapping() const { return mapping_; }
  bool preassigned() const { return mapping_.preassigned; }
  bool keeps_until_ack() const { return mapping_.keeps_until_ack; }
  bool dedup() const { return dedup_; }
  std::uint32_t replicas() const { return mapping_.replicas; }
  const std::string& storage() const { return storage_; }
  Time ack_wait() const { return ack_wait_; }

  // The subject a message for consumer `consumer` goes to (every consumer's when not preassigned).
  std::string subject(std::uint32_t consumer) const;
  // The durable consumer that consumer `consumer` pulls from.
  std::string durable(std::uint32_t consumer) const;
  nlohmann::json stream_config() const;
  nlohmann::json dead_stream_config() const;
  nlohmann::json consumer_config(std::uint32_t consumer) const;

 private:
  QueueMapping mapping_;
  bool dedup_ = true;
  std::int64_t max_deliver_ = -1;
  std::string storage_ = "file";
  Time ack_wait_ = 30 * kSecond;
};

// Sends one JetStream API request ($JS.API.*) and returns its JSON answer. Throws BackendError: lost when
// JetStream does not answer or is unavailable (no responders, no leader: try again later), not lost when it
// refuses the request.
nlohmann::json jetstream_call(NatsConnection& connection, const std::string& subject, const nlohmann::json& body,
                              Time timeout);
// Creates the work and dead-letter streams (idempotent: an existing stream with the same config is kept).
void declare_nats_streams(NatsConnection& connection, const NatsLayout& layout, Time timeout);

}  // namespace qlab::live
