#pragma once
// What every real-broker back end reads from a scenario's queue before mapping it onto its own objects, and
// the refusals they share.
#include <cstdint>
#include <string>

#include "core/scenario.hpp"
#include "core/time.hpp"

namespace qlab::live {

struct QueueMapping {
  // Throws std::invalid_argument naming `backend` for a design no real broker maps.
  QueueMapping(const QueueSpec& queue, const std::string& backend);

  // The consumer (0..consumers-1) a preassigned message is bound to, picked by the producer as the design
  // (queues/preassigned_queue.*) picks among the scenario's consumers: hash is mix64(key) mod consumers, as
  // there; round_robin cycles from consumer 0 over `turn`, the producer's own count (per producer: a real
  // broker has no global order); random is mix64 of the message id, uniform and stateless where the design
  // draws from its stream. Every back end's producer calls this. Throws BackendError when there are no consumers.
  std::uint32_t assign(std::uint64_t message_id, std::uint64_t key, std::uint64_t turn, std::uint32_t consumers) const;

  std::string backend;
  bool preassigned = false;
  bool keeps_until_ack = false;      // at-least-once designs; the others ack on receipt
  std::string assignment;            // preassigned
  std::uint32_t replicas = 1;        // replicated
  Time visibility_timeout = 0;       // keeps_until_ack designs
  std::int64_t max_receives = 0;     // 0: unlimited
  bool release_on_disconnect = false;
  bool acks_leader = false;          // replicated with acks: leader
  bool unclean_election = false;
};

}  // namespace qlab::live
