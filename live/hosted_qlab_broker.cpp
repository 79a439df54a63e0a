#include "live/hosted_qlab_broker.hpp"

#include <csignal>
#include <stdexcept>

#include "core/version.hpp"
#include "live/broker.hpp"
#include "live/client.hpp"
#include "live/shared_secret.hpp"

namespace qlab::live {

void HostedQlabBroker::start(const LaunchPlan& plan, Time) {
  queue_ = plan.queue;
  spawn();
}

void HostedQlabBroker::spawn() {
  std::vector<std::string> argv = broker_arguments(queue_, host_.address() + ":" + std::to_string(port_), incarnation_);
  argv.insert(argv.end(), {"--seed", std::to_string(seed_), "--incarnation", std::to_string(incarnation_), "--records",
                           host_.path(run_, "broker.csv")});
  process_ = host_.spawn(run_, argv, "broker.log", true, {{kTokenVariable, token_}});
  const std::string& line = process_->first_line();
  if (line.rfind("listening on ", 0) != 0) {
    throw std::runtime_error("the broker did not start (see broker.log in " + host_.path(run_, "") + " on " +
                             host_.name() + ")");
  }
  port_ = split_host_port(line.substr(13, line.size() - 14)).second;
}

void HostedQlabBroker::kill(std::uint32_t node) {
  if (node != 0 || !process_) throw std::invalid_argument("qlab broker: no node " + std::to_string(node));
  process_->signal(SIGKILL);
  process_->wait_for_exit(5 * kSecond);
}

void HostedQlabBroker::restart(std::uint32_t node, Time) {
  kill(node);
  ++incarnation_;
  spawn();
}

void HostedQlabBroker::stop_all() noexcept {
  try {
    if (!process_ || !process_->running()) return;
    process_->signal(SIGTERM);  // a clean stop logs the broker's final stats
    if (!process_->wait_for_exit(10 * kSecond)) {
      process_->signal(SIGKILL);
      process_->wait_for_exit(5 * kSecond);
    }
  } catch (const std::exception&) {
    // an agent that is gone took its processes with it
  }
}

std::string HostedQlabBroker::version() const { return std::string("qlab ") + qlab::version(); }

}  // namespace qlab::live
