#include "live/backends/qlab_client.hpp"

#include <optional>

#include "live/backends/buffered_events.hpp"
#include "live/client.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

class QlabClient final : public BrokerClient {
 public:
  explicit QlabClient(const ClientConfig& config) {
    if (config.endpoints.empty()) throw BackendError("qlab: no broker endpoint", false);
    const Endpoint& e = config.endpoints.front();
    const Role role = config.role == ClientRole::producer ? Role::producer : Role::consumer;
    // A broker that still holds this name's previous session (a consumer restarted before the broker noticed
    // its death) refuses the HELLO with name_in_use: retried like an unreachable broker.
    try {
      client_.emplace(e.host, e.port, Hello{kProtocolVersion, role, config.name, config.token}, std::chrono::seconds(5));
    } catch (const ClientError& error) {
      const bool transient = !error.error || error.error->code == ErrorCode::name_in_use;
      throw BackendError(std::string("qlab: ") + error.what(), transient);
    }
  }

  void publish(std::span<const PublishRequest> batch) override {
    if (batch.empty()) return;
    Publish frame;
    frame.messages.reserve(batch.size());
    for (const PublishRequest& r : batch) frame.messages.push_back(PublishItem{r.client_seq, r.key, static_cast<std::uint64_t>(r.intended), r.payload});
    append_publish(out_, frame);
  }

  void pull(std::uint32_t count) override {
    if (count > 0) append_pull(out_, Pull{count, kWaitForever, false});
  }
  void ack(std::uint64_t receipt) override { append_receipts(out_, FrameType::ack, Receipts{{receipt}}); }
  void release(std::uint64_t receipt) override { append_receipts(out_, FrameType::release, Receipts{{receipt}}); }
  void extend(std::uint64_t receipt, Time timeout) override {
    append_extend(out_, Extend{receipt, static_cast<std::uint32_t>(std::max<Time>(1, timeout / kMillisecond))});
  }

  std::size_t poll(Time timeout, BrokerEvents& events) override {
    send();
    std::size_t n = kept_.replay(events);
    std::optional<Frame> frame;
    guarded([&] { frame = client_->read_frame(std::chrono::milliseconds(n > 0 ? 0 : timeout / kMillisecond)); });
    while (frame) {
      n += handle(*frame, events);
      guarded([&] { frame = client_->read_frame(std::chrono::milliseconds(0)); });
    }
    return n;
  }

  void flush(Time timeout) override {
    // The broker handles one connection's frames in order: its STATS_OK follows everything sent before.
    append_stats(out_);
    send();
    const Time deadline = monotonic_now() + timeout;
    for (;;) {
      const Time left = deadline - monotonic_now();
      if (left <= 0) throw BackendError("qlab: flush timed out", false);
      std::optional<Frame> frame;
      guarded([&] { frame = client_->read_frame(std::chrono::milliseconds(left / kMillisecond + 1)); });
      if (!frame) continue;
      if (frame->header.type == FrameType::stats_ok) return;
      handle(*frame, kept_);
    }
  }

 private:
  // Live::Client reports a closed or failed connection as ClientError: for a worker that is a lost connection,
  // unless the broker said why in a fatal ERROR frame (a refused HELLO, a protocol violation).
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const ClientError& e) {
      throw BackendError(std::string("qlab: ") + e.what(), !e.error.has_value());
    }
  }

  // Everything queued since the last poll() goes out in one write.
  void send() {
    if (out_.empty()) return;
    guarded([&] { client_->send_bytes(out_); });
    out_.clear();
  }

  std::size_t handle(const Frame& frame, BrokerEvents& events) {
    switch (frame.header.type) {
      case FrameType::publish_ok: {
        const PublishOk ok = decode_publish_ok(frame.body);
        for (const PublishConfirm& c : ok.confirms) {
          events.on_published(PublishResult{c.client_seq, c.message_id, c.status == PublishStatus::accepted});
        }
        return ok.confirms.size();
      }
      case FrameType::deliver: {
        const Deliver d = decode_deliver(frame.body);
        events.on_delivery(Delivery{d.message_id, d.receipt, d.receive_count, static_cast<Time>(d.producer_time)});
        return 1;
      }
      case FrameType::error: {
        const Error e = decode_error(frame.body);
        const std::string text = "qlab broker: " + std::string(error_code_name(e.code)) + ": " + e.text;
        if (e.fatal) throw BackendError(text, false);
        events.on_warning(text);
        return 1;
      }
      default:
        return 0;  // PULL_END, a STATS_OK nobody waits for
    }
  }

  std::optional<Client> client_;
  std::vector<std::uint8_t> out_;  // frames for the next write
  BufferedEvents kept_;
};

}  // namespace

std::unique_ptr<BrokerClient> connect_qlab(const ClientConfig& config) { return std::make_unique<QlabClient>(config); }

}  // namespace qlab::live
