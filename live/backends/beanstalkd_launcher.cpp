#include "live/backends/beanstalkd_launcher.hpp"

#include "live/backends/backend_checks.hpp"
#include "live/backends/server_node.hpp"
#include "live/backends/single_node_launcher.hpp"
#include "live/backends/tcp_connection.hpp"

namespace qlab::live {
namespace {

struct BeanstalkdOptions {
  bool binlog = true;
  std::int64_t fsync_ms = 50;
};

BeanstalkdOptions beanstalkd_options(const nlohmann::json& json) {
  const BackendOptions options("beanstalkd", json, {"binlog", "fsync_ms"});
  return {options.flag("binlog", true), options.integer("fsync_ms", 50, 0, 3'600'000)};
}

class BeanstalkdLauncher final : public SingleNodeLauncher {
 public:
  // The running server's (on whichever host it runs), else the one on this machine's PATH.
  std::string version() const override {
    if (std::optional<std::string> v = stat("version")) {
      std::erase(*v, '"');  // stats quotes it: version: "1.12"
      return "beanstalkd " + *v;
    }
    return first_output_line({"beanstalkd", "-v"});
  }

  // Buried jobs are the dead letters: the server-wide count from `stats`.
  std::optional<std::uint64_t> dead_letters() override {
    const std::optional<std::string> buried = stat("current-jobs-buried");
    if (!buried) return std::nullopt;
    return std::stoull(*buried);
  }

 protected:
  std::string server_name() const override { return "beanstalkd"; }
  std::string program() const override { return "beanstalkd"; }

  std::vector<std::string> command(const LaunchPlan& plan, const Endpoint& endpoint, const std::string& data_dir) override {
    const BeanstalkdOptions o = beanstalkd_options(plan.backend_options);
    std::vector<std::string> argv = {"-l", endpoint.host, "-p", std::to_string(endpoint.port)};
    if (o.binlog) argv.insert(argv.end(), {"-b", data_dir, "-f", std::to_string(o.fsync_ms)});
    return argv;
  }

 private:
  // One value of the running server's `stats` (YAML lines "key: value"); nullopt when it cannot tell.
  std::optional<std::string> stat(const std::string& name) const {
    const std::vector<Endpoint> at = endpoints();
    if (at.empty()) return std::nullopt;
    try {
      TcpConnection connection(at.front(), "beanstalkd");
      connection.append("stats\r\n");
      connection.send();
      const std::string key = "\n" + name + ": ";
      for (;;) {
        const std::string_view in = connection.input();
        if (const std::size_t at_key = in.find(key); at_key != std::string_view::npos) {
          const std::size_t eol = in.find('\n', at_key + key.size());
          if (eol != std::string_view::npos) return std::string(in.substr(at_key + key.size(), eol - at_key - key.size()));
        }
        if (!connection.wait_and_read(kSecond)) return std::nullopt;
      }
    } catch (const BackendError&) {
      return std::nullopt;
    }
  }
};

}  // namespace

std::unique_ptr<BrokerLauncher> make_beanstalkd_launcher() { return std::make_unique<BeanstalkdLauncher>(); }

void check_beanstalkd(const Scenario& scenario, const nlohmann::json& backend_options) {
  require_design("beanstalkd", scenario.queue, {"visibility_timeout", "pull", "preassigned"});
  require_single_node("beanstalkd", scenario);
  if (scenario.queue.design == "visibility_timeout") {
    const std::int64_t timeout = int_param(scenario.queue, "visibility_timeout", kSecond);
    if (timeout % kSecond != 0) cannot_express("beanstalkd", "visibility_timeout", "a job's TTR is whole seconds");
    if (!flag_param(scenario.queue, "release_on_disconnect", false)) {
      cannot_express("beanstalkd", "release_on_disconnect",
                     "beanstalkd makes a disconnected client's reserved jobs ready at once (set it to true)");
    }
  }
  beanstalkd_options(backend_options);
}

}  // namespace qlab::live
