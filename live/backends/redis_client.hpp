#pragma once
// The Redis back end's client (Redis Streams through hiredis). The scenario's queue maps onto one stream
// and its consumer group:
// - visibility_timeout: XREADGROUP hands out new entries; a delivery stays in the group's pending list until
//   acked. A Lua script (one round trip, atomic) finds entries idle for the visibility timeout
//   (XPENDING ... IDLE) and XCLAIMs them for the asking consumer (a redelivery, counted by the group's
//   delivery counter), or moves those delivered max_receives times to a dead-letter stream. Ack, release and
//   extend are a second script that first checks the receipt is still current (same consumer, same delivery
//   count, not yet idle for the timeout), then XACK + XDEL (ack) or XCLAIM ... IDLE n JUSTID (release:
//   idle = the timeout, so the next scan takes it; extend: idle = timeout - extension).
// - pull: XREADGROUP ... NOACK (acknowledged on receipt), then XDEL.
// - preassigned: the same on one stream per consumer; the producer picks the stream (QueueMapping::assign).
// Message id, intended send time and payload are the entry's fields i, t and p.
#include <memory>

#include "live/backends/broker_client.hpp"

namespace qlab::live {

// Connects to the first endpoint (two connections for a consumer: one blocks in XREADGROUP); throws
// BackendError (connection_lost) when unreachable.
std::unique_ptr<BrokerClient> connect_redis(const ClientConfig& config);

}  // namespace qlab::live
