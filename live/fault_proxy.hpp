#pragma once
// A user-space fault proxy between one client and the broker (no root, no tc netem): `qlab fault-proxy`
// forwards every connection made to it to the broker, and on orders from its control port (newline JSON)
// black-holes traffic for a while (a partition: bytes are held, both ways, and flow again when it heals,
// as TCP retransmission would deliver them), delays it (each chunk read is held for an extra latency
// drawn from a distribution, in order, per direction), or drops whole protocol frames of one type
// (PUBLISH, DELIVER or ACK) with a probability; the traffic is cut into frames for that.
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/distribution.hpp"

namespace qlab::live {

struct FaultProxyConfig {
  std::string address = "127.0.0.1";  // listens here (traffic and control ports, both ephemeral)
  std::string upstream_host = "127.0.0.1";
  std::uint16_t upstream_port = 0;
  std::uint64_t seed = 1;
  std::function<void(std::uint16_t port, std::uint16_t control_port)> on_listening;
};

// Serves until SIGINT/SIGTERM. Control requests, one JSON object per line, each answered {"ok": true}:
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
