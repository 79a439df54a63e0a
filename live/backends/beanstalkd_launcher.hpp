#pragma once
// The beanstalkd back end's launcher: a private beanstalkd on a free port. live.backend_options: `binlog`
// (default true: jobs are written to a binlog in the node's data folder, so a killed server restarts with
// them) and `fsync_ms` (with a binlog: fsync at most every that many ms, 0 = after every write; default 50,
// beanstalkd's own). A restarted beanstalkd returns the jobs that were reserved as ready at once and starts
// their counters (reserves, hence receive counts) again from 0.
#include <memory>

#include <nlohmann/json.hpp>

#include "core/scenario.hpp"
#include "live/backends/broker_launcher.hpp"

namespace qlab::live {

std::unique_ptr<BrokerLauncher> make_beanstalkd_launcher();

// Throws std::invalid_argument naming the key beanstalkd cannot express (design, parameter or backend option).
void check_beanstalkd(const Scenario& scenario, const nlohmann::json& backend_options);

}  // namespace qlab::live
