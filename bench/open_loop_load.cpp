#include "bench/open_loop_load.hpp"

#include <algorithm>
#include <vector>

#include "live/live_worker.hpp"

namespace qlab::bench {
namespace {

// Collects deliveries, so the driver acks them after poll() returns rather than from inside it.
struct Inbox final : live::BrokerEvents {
  void on_published(const live::PublishResult& r) override {
    if (!r.accepted) throw live::BackendError("the broker refused a publish", false);
  }
  void on_delivery(const live::Delivery& d) override { deliveries.push_back(d); }
  void on_warning(const std::string& text) override { throw live::BackendError("unexpected warning: " + text, false); }
  std::vector<live::Delivery> deliveries;
};

}  // namespace

StepResult run_open_loop(const live::Backend& backend, const live::ClientConfig& base, const LoadShape& shape) {
  live::ClientConfig config = base;
  config.role = live::ClientRole::producer;
  config.name = "bench-producer";
  std::unique_ptr<live::BrokerClient> producer = backend.connect(config);
  config.role = live::ClientRole::consumer;
  config.name = "bench-consumer";
  std::unique_ptr<live::BrokerClient> consumer = backend.connect(config);
  consumer->pull(shape.window);

  const double interval = 1e9 / shape.rate;
  const Time start = live::monotonic_now() + 10 * kMillisecond;
  const Time measure_from = start + shape.warmup;
  const Time measure_to = measure_from + shape.measure;
  const auto due = [&](std::uint64_t i) { return start + static_cast<Time>(static_cast<double>(i) * interval); };
  const auto total = static_cast<std::uint64_t>(static_cast<double>(shape.warmup + shape.measure) / interval);
  const Time stop = measure_to + shape.grace;

  StepResult r;
  r.offered = shape.rate;
  const std::string payload(shape.size, '.');
  std::vector<live::PublishRequest> batch;
  Inbox inbox;
  Inbox confirms;
  std::uint64_t next = 0;
  std::uint64_t acked = 0;
  std::uint64_t acked_in_window = 0;
  std::uint64_t measured_delivered = 0;
  Time now = live::monotonic_now();
  while ((next < total || acked < r.published) && now < stop) {
    batch.clear();
    while (next < total && due(next) <= now && r.published + batch.size() - acked < shape.window) {
      batch.push_back({next, shape.first_id + next, next, due(next), payload});
      ++next;
    }
    if (!batch.empty()) {
      producer->publish(batch);
      r.published += batch.size();
      ++r.publish_calls;
    }
    producer->poll(0, confirms);
    // Wait for deliveries until the next message is due (at most a millisecond, to serve the producer).
    const Time wait = next < total ? std::clamp<Time>(due(next) - now, 0, kMillisecond) : kMillisecond;
    consumer->poll(wait, inbox);
    now = live::monotonic_now();
    for (const live::Delivery& d : inbox.deliveries) {
      consumer->ack(d.receipt);
      consumer->pull(1);
      if (d.intended < start) continue;  // left over by an overloaded earlier step
      ++acked;
      if (d.receive_count > 1) ++r.redeliveries;
      if (now >= measure_from && now < measure_to) ++acked_in_window;
      if (d.intended >= measure_from && d.intended < measure_to) {
        r.latency.record(now - d.intended);
        ++measured_delivered;
      }
    }
    inbox.deliveries.clear();
  }
  // Messages due in the interval that never arrived: their latency is at least the time until now.
  for (std::uint64_t i = static_cast<std::uint64_t>(static_cast<double>(shape.warmup) / interval); i < total; ++i) {
    if (due(i) >= measure_from && due(i) < measure_to) ++r.measured;
  }
  r.undelivered = r.measured > measured_delivered ? r.measured - measured_delivered : 0;
  if (r.undelivered > 0) r.latency.record_n(now - (measure_to - 1), r.undelivered);
  consumer->flush(10 * kSecond);
  r.achieved = static_cast<double>(acked_in_window) / to_seconds(shape.measure);
  r.sustained = r.undelivered == 0 && r.achieved >= 0.95 * shape.rate && r.latency.percentile(0.99) <= shape.latency_bound;
  return r;
}

}  // namespace qlab::bench
