#pragma once
// The Redis back end's launcher: a private redis-server on a free port, its data folder under the run's
// work folder, no config file and no RDB snapshots. live.backend_options: `appendonly` (default true) and
// `appendfsync: always|everysec|no` (default everysec). A killed server restarts on its own append-only
// file; without it (appendonly: false) it restarts empty.
#include <memory>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"
#include "live/backends/broker_launcher.hpp"

namespace qlab::live {

std::unique_ptr<BrokerLauncher> make_redis_launcher();

// Throws std::invalid_argument naming the key Redis cannot express (design, parameter or backend option).
void check_redis(const Scenario& scenario, const nlohmann::json& backend_options);

}  // namespace qlab::live
