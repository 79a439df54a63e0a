#pragma once
// The qlab back end's launcher: `qlab broker` (from LaunchPlan::qlab_binary) hosting the scenario's design,
// one node on a free port. The broker keeps its queue in memory: a killed node restarts empty, handing out
// message ids above its predecessor's.
#include <memory>
#include <string>
#include <vector>

#include "core/scenario.hpp"
#include "live/backends/broker_launcher.hpp"

namespace qlab::live {

std::unique_ptr<BrokerLauncher> make_qlab_launcher();


}  // namespace qlab::live
