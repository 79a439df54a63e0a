#pragma once
// The qlab back end's client: today's protocol client (live/client.hpp) behind BrokerClient. The broker
// assigns message ids (PublishResult names them); a PUBLISH frame carries a whole batch; intended send times
// travel in producer_time and come back in DELIVER. Like the other clients, it queues frames and writes them
// all at the next poll() or flush().
#include <memory>

#include "live/backends/broker_client.hpp"

namespace qlab::live {

// Connects to the first endpoint and says HELLO; throws BackendError (connection_lost) when unreachable.
std::unique_ptr<BrokerClient> connect_qlab(const ClientConfig& config);

}  // namespace qlab::live
