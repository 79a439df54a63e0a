#include "live/backends/qlab_launcher.hpp"

#include <stdexcept>

#include "core/units.hpp"
#include "core/version.hpp"
#include "live/backends/single_node_launcher.hpp"
#include "live/broker.hpp"
#include "live/client.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live {
namespace {

class QlabLauncher final : public SingleNodeLauncher {
 public:
  std::string version() const override { return std::string("qlab ") + qlab::version(); }

  std::optional<std::uint64_t> dead_letters() override {
    const std::vector<Endpoint> at = endpoints();
    if (at.empty()) return std::nullopt;
    Client admin(at.front().host, at.front().port, Hello{kProtocolVersion, Role::admin, "launcher", ""});
    return admin.stats().value("dead_lettered", std::uint64_t{0});
  }

 protected:
  std::string server_name() const override { return "qlab"; }
  std::string program() const override { return ""; }

  std::vector<std::string> command(const LaunchPlan& plan, const Endpoint& endpoint, const std::string&) override {
    if (plan.qlab_binary.empty()) throw std::invalid_argument("qlab back end: LaunchPlan::qlab_binary is empty");
    // Every start of the node (restarts included) runs this command line again: count the incarnations so a
    // restarted broker's message ids continue above its predecessor's.
    return broker_arguments(plan.queue, endpoint.host + ":" + std::to_string(endpoint.port), incarnation_++);
  }

 private:
  std::uint32_t incarnation_ = 0;
};

}  // namespace

std::unique_ptr<BrokerLauncher> make_qlab_launcher() { return std::make_unique<QlabLauncher>(); }

}  // namespace qlab::live
