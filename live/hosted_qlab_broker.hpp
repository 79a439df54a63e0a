#pragma once
// The qlab back end as `qlab live` runs it: `qlab broker` spawned on the broker's placement host (this machine
// or a `qlab agent`), with the repetition's seed, its incarnation and its records file (broker.csv, read into
// the results), one process on a port of the host's address. A restart listens on the same port, hands out
// message ids above its predecessor's and draws from the simulator's stream for that incarnation. The
// registry's qlab launcher (live/backends/qlab_launcher.hpp) is the same broker for the benchmark and the
// conformance tests, which need no records and no agents.
#include <memory>
#include <string>

#include "live/backends/broker_launcher.hpp"
#include "live/process_host.hpp"

namespace qlab::live {

class HostedQlabBroker final : public BrokerLauncher {
 public:
  // `token`: the run's broker token, given to the broker through its environment (never on a command line).
  HostedQlabBroker(Host& host, std::string run, std::uint64_t seed, std::string token)
      : host_(host), run_(std::move(run)), seed_(seed), token_(std::move(token)) {}
  ~HostedQlabBroker() override { stop_all(); }

  void start(const LaunchPlan& plan, Time timeout) override;
  std::vector<Endpoint> endpoints() const override { return {Endpoint{host_.address(), port_}}; }
  std::uint32_t node_count() const override { return 1; }
  std::uint32_t leader() override { return 0; }
  void kill(std::uint32_t node) override;
  void restart(std::uint32_t node, Time timeout) override;
  bool alive(std::uint32_t node) override { return node == 0 && process_ && process_->running(); }
  void stop_all() noexcept override;
  std::string version() const override;

  // The broker process now (to tell an unscheduled death); null before start().
  Process* process() { return process_.get(); }

 private:
  void spawn();

  Host& host_;
  std::string run_;
  std::uint64_t seed_;
  std::string token_;
  QueueSpec queue_;                // the design and its settings
  std::uint16_t port_ = 0;         // 0 until the first start picked one
  std::uint32_t incarnation_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace qlab::live
