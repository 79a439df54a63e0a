#pragma once
// The beanstalkd back end's client: a small client of beanstalkd's text protocol (the subset below). The
// scenario's queue maps onto a tube:
// - visibility_timeout: a job's TTR is the visibility timeout (whole seconds); reserve hands a job out,
//   delete acks it, `release ID 0 0` gives it back at once, `touch` extends (always by the whole TTR again).
//   The receive count is the job's `reserves` (stats-job, one more pipelined command per delivery); a job
//   reserved more than max_receives times is buried (the dead letters) instead of delivered.
// - pull: delete on receipt.   - preassigned: one tube per consumer; the producer picks it (QueueMapping::assign).
// The job body is the message id and the intended send time (16 hex digits each), then the payload.
//
// A job can only be deleted on the connection that reserved it, and a waiting `reserve` holds back every
// command behind it, so a consumer sends a blocking `reserve` only while it holds no job; otherwise it asks
// with `reserve-with-timeout 0` (up to 16 pipelined while jobs keep coming, one per millisecond
// while the tube is empty).
#include <memory>

#include "live/backends/broker_client.hpp"

namespace qlab::live {

// Connects to the first endpoint; throws BackendError (connection_lost) when unreachable.
std::unique_ptr<BrokerClient> connect_beanstalkd(const ClientConfig& config);

}  // namespace qlab::live
