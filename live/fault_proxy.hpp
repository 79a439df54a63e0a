#pragma once
// A user-space fault proxy between one client and the broker (no root, no tc netem): `qlab fault-proxy`
// listens on one port per broker node and forwards every connection made to a port to its node (a client of a
// cluster is cut off from, or delayed to, every node at once), and on orders from its control port (newline JSON)
// black-holes traffic for a while (a partition: bytes are held, both ways, and flow again when it heals,
// as TCP retransmission would deliver them), delays it (each chunk read is held for an extra latency
// drawn from a distribution, in order, per direction), or drops whole protocol frames of one type
// (PUBLISH, DELIVER or ACK) with a probability; the traffic is cut into frames for that.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/distribution.hpp"

namespace qlab::live {

struct FaultProxyConfig {
  std::string address = "127.0.0.1";  // listens here (traffic and control ports, all ephemeral)
  std::vector<std::pair<std::string, std::uint16_t>> upstreams;  // the broker's nodes (host, port); at least one
  std::uint64_t seed = 1;
  // The traffic ports (ports[i] forwards to upstreams[i]) and the control port.
  std::function<void(const std::vector<std::uint16_t>& ports, std::uint16_t control_port)> on_listening;
};

// Serves until SIGINT/SIGTERM. Every order applies to the connections of every port. Control requests, one JSON object per line, each answered {"ok": true}:
//   {"op": "partition", "duration_ns": D}
//   {"op": "delay", "duration_ns": D, "up": true|false, "down": true|false, "extra": DIST}
//   {"op": "drop", "duration_ns": D, "frame": "publish"|"deliver"|"ack", "p": P}
// `up` is client -> broker, `down` broker -> client; DIST is distribution_to_wire()'s form. A dropped
// DELIVER is replaced, towards the broker, by a PULL of 1 (the client's last PULL's wait and flags): the
// consumer still counts that credit as open, so its pull is renewed, as the simulator does.
void run_fault_proxy(const FaultProxyConfig& config);

nlohmann::json distribution_to_wire(const Distribution& d);
Distribution distribution_from_wire(const nlohmann::json& j);

}  // namespace qlab::live
