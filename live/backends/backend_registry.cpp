#include "live/backends/backend_registry.hpp"

#include <stdexcept>

#include "live/backends/backend_checks.hpp"
#include "live/backends/beanstalkd_client.hpp"
#include "live/backends/beanstalkd_launcher.hpp"
#include "live/backends/nats_backend.hpp"
#include "live/backends/qlab_client.hpp"
#include "live/backends/qlab_launcher.hpp"
#include "live/backends/rabbitmq_backend.hpp"
#include "live/backends/redis_client.hpp"
#include "live/backends/redis_launcher.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {
namespace {

void check_qlab(const Scenario& scenario, const nlohmann::json& backend_options) {
  if (find_design(scenario.queue.design) == nullptr) {
    throw std::invalid_argument("queue.design: unknown design '" + scenario.queue.design + "'");
  }
  BackendOptions("qlab", backend_options, {});
}

const std::vector<Backend>& registry() {
  static const std::vector<Backend> all = {
      {"qlab", "qlab", "every design and parameter; broker_crash restarts it empty (in memory)", connect_qlab,
       make_qlab_launcher, check_qlab},
      {"redis", "redis-server",
       "visibility_timeout (release_on_disconnect: false), pull, preassigned; broker_crash (1 node); "
       "options appendonly, appendfsync",
       connect_redis, make_redis_launcher, check_redis},
      {"beanstalkd", "beanstalkd",
       "visibility_timeout (whole-second timeouts, release_on_disconnect: true), pull, preassigned; "
       "broker_crash (1 node); options binlog, fsync_ms",
       connect_beanstalkd, make_beanstalkd_launcher, check_beanstalkd},
      nats_backend(),
      rabbitmq_backend(),
  };
  return all;
}

}  // namespace

std::span<const Backend> backends() { return registry(); }

const Backend& find_backend(std::string_view name) {
  std::string names;
  for (const Backend& b : registry()) {
    if (b.name == name) return b;
    names += (names.empty() ? "" : ", ") + b.name;
  }
  throw std::invalid_argument("unknown back end '" + std::string(name) + "' (known: " + names + ")");
}

nlohmann::json backend_options_json(const Scenario& scenario) {
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [key, value] : scenario.live.backend_options) {
    std::visit([&options, &key](const auto& v) { options[key] = v; }, value);
  }
  return options;
}

}  // namespace qlab::live
