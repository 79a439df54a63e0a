#pragma once
// What the tests of the real-broker back ends share: a scratch work folder, queue specs with the design's
// defaults, client configs, and an event collector that polls a client until a condition holds (no sleeps:
// every wait polls the broker with a deadline).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "live/backends/broker_client.hpp"
#include "live/steady_clock.hpp"
#include "queues/design_registry.hpp"

namespace qlab::live::testing {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline QueueSpec queue_spec(const std::string& design, DesignParams given = {}) {
  QueueSpec spec;
  spec.design = design;
  spec.params = with_defaults(*find_design(design), std::move(given));
  return spec;
}

inline ClientConfig client_config(ClientRole role, const std::vector<Endpoint>& endpoints, const QueueSpec& queue,
                                  const nlohmann::json& options = nlohmann::json::object()) {
  ClientConfig config;
  config.role = role;
  config.name = role == ClientRole::producer ? "producers[0]" : "consumers[0]";
  config.consumer_count = 1;
  config.endpoints = endpoints;
  config.queue = queue;
  config.backend_options = options;
  return config;
}

inline PublishRequest message(std::uint64_t id) {
  PublishRequest request;
  request.client_seq = id;
  request.message_id = id;
  request.key = id;
  request.intended = 1000 + static_cast<Time>(id);
  request.payload = std::string(100, 'x');
  return request;
}

class Collector final : public BrokerEvents {
 public:
  void on_published(const PublishResult& result) override { published.push_back(result); }
  void on_delivery(const Delivery& delivery) override { deliveries.push_back(delivery); }
  void on_warning(const std::string& text) override { warnings.push_back(text); }

  std::size_t accepted() const {
    std::size_t n = 0;
    for (const PublishResult& r : published) n += r.accepted ? 1 : 0;
    return n;
  }
  // Polls `client` until `done` holds; false when `timeout` passed first.
  bool poll_until(BrokerClient& client, const std::function<bool()>& done, Time timeout) {
    const Time deadline = monotonic_now() + timeout;
    while (!done()) {
      const Time left = deadline - monotonic_now();
      if (left <= 0) return false;
      client.poll(std::min<Time>(left, 50 * kMillisecond), *this);
    }
    return true;
  }
  // Pulls `count` more and polls until `count` more deliveries arrived; false when `timeout` passed first.
  bool pull_and_wait(BrokerClient& client, std::uint32_t count, Time timeout) {
    const std::size_t wanted = deliveries.size() + count;
    client.pull(count);
    return poll_until(client, [&] { return deliveries.size() >= wanted; }, timeout);
  }
  // Polls `client` for `span` and returns how many deliveries arrived meanwhile (a wait for nothing to happen).
  std::size_t deliveries_during(BrokerClient& client, Time span) {
    const std::size_t before = deliveries.size();
    poll_until(client, [] { return false; }, span);
    return deliveries.size() - before;
  }

  std::vector<PublishResult> published;
  std::vector<Delivery> deliveries;
  std::vector<std::string> warnings;
};

// Publishes messages first .. first+count-1 and waits until the broker confirmed every one.
inline void publish_confirmed(BrokerClient& producer, Collector& events, std::uint64_t first, std::uint64_t count) {
  std::vector<PublishRequest> batch;
  for (std::uint64_t id = first; id < first + count; ++id) batch.push_back(message(id));
  producer.publish(batch);
  const std::size_t wanted = events.published.size() + count;
  ASSERT_TRUE(events.poll_until(producer, [&] { return events.published.size() >= wanted; }, 10 * kSecond));
  ASSERT_EQ(events.accepted(), wanted);
}

// Polls `condition` (which asks a server) with a short pause until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition, Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  while (!condition()) {
    if (monotonic_now() >= deadline) return false;
    ::usleep(20'000);
  }
  return true;
}

}  // namespace qlab::live::testing
