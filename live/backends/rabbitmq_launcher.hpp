#pragma once
// A private single-node RabbitMQ: its own epmd on a free port, and rabbitmq-server run directly from
// /usr/lib/rabbitmq/bin with HOME, Erlang cookie, node name, data and log folders in work_dir/rabbitmq/, the
// AMQP listener on a free port of plan.bind_host. The scenario's visibility timeout becomes the node's
// consumer_timeout (checked every tenth of it). Starting takes seconds (3-30 s on a loaded 2-core machine).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "live/backends/broker_launcher.hpp"
#include "live/backends/rabbitmq_layout.hpp"
#include "live/child_process.hpp"

namespace qlab::live {

class RabbitmqLauncher final : public BrokerLauncher {
 public:
  static constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";

  RabbitmqLauncher() = default;
  ~RabbitmqLauncher() override;

  // Throws std::runtime_error for plan.nodes > 1 (qlab runs no RabbitMQ cluster yet).
  void start(const LaunchPlan& plan, Time timeout) override;
  std::vector<Endpoint> endpoints() const override { return {{host_, port_}}; }
  std::uint32_t node_count() const override { return 1; }
  std::uint32_t leader() override { return 0; }
  void kill(std::uint32_t node) override;
  void restart(std::uint32_t node, Time timeout) override;
  void stop_all() noexcept override;
  std::string version() const override { return version_; }

  bool running() const { return server_ && server_->running(); }

 private:
  void spawn();
  // Polls until the node accepts an AMQP login, then declares the queues.
  void wait_ready(Time deadline);

  std::string host_;
  std::uint16_t port_ = 0;
  std::uint16_t dist_port_ = 0;
  std::uint16_t epmd_port_ = 0;
  std::filesystem::path dir_;
  std::optional<RabbitmqLayout> layout_;
  std::unique_ptr<ChildProcess> epmd_;
  std::unique_ptr<ChildProcess> server_;
  std::string version_;
};

}  // namespace qlab::live
