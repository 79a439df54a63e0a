#pragma once
// A blocking C++ client of the qlab protocol over a plain TCP socket (poll() for timeouts), for the
// producer/consumer tools and the tests. Not thread-safe: one thread per Client.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/protocol.hpp"

namespace qlab::live {

// The broker refused something (an ERROR frame), or the connection failed / closed / timed out.
struct ClientError : std::runtime_error {
  using std::runtime_error::runtime_error;
  std::optional<Error> error;  // the ERROR frame, when there was one
};

struct Frame {
  FrameHeader header;
  std::vector<std::uint8_t> body;
};

// "HOST:PORT" -> (host, port); throws std::invalid_argument.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& text);

class Client {
 public:
  using Millis = std::chrono::milliseconds;

  // Connects and says HELLO; throws ClientError when the broker refuses (the ERROR is attached).
  Client(const std::string& host, std::uint16_t port, const Hello& hello, Millis timeout = Millis(10'000));
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;

  const HelloOk& hello_ok() const { return hello_ok_; }

  // Producer: publishes a batch and waits until every message is settled; returns each message's
  // confirmation in batch order (status accepted, or why not: refused by the design, too_large, queue_full;
  // message_id 0 unless accepted). client_seq must be unique within the batch.
  std::vector<PublishConfirm> publish_settled(const Publish& batch, Millis timeout = Millis(10'000));
  // publish_settled()'s message ids (0 for a message not accepted).
  std::vector<std::uint64_t> publish(const Publish& batch, Millis timeout = Millis(10'000));
  // Producer, pipelined: send now, collect the PUBLISH_OK frames later with read_frame().
  void send_publish(const Publish& batch);

  // Consumer: asks for up to `max_count` messages, waiting at most `wait_ms` (returns early once some came).
  // Returns the deliveries (possibly none).
  std::vector<Deliver> receive(std::uint32_t max_count, std::uint32_t wait_ms, Millis timeout = Millis(60'000));
  void send_pull(const Pull& pull);
  void ack(const std::vector<std::uint64_t>& receipts);
  void release(const std::vector<std::uint64_t>& receipts);
  void extend(std::uint64_t receipt, std::uint32_t timeout_ms);

  nlohmann::json stats(Millis timeout = Millis(10'000));
  // Admin: sends a CONTROL order and returns the broker's stats after it (an ERROR throws ClientError).
  nlohmann::json control(const nlohmann::json& order, Millis timeout = Millis(10'000));

  // The next frame, or nullopt when none arrived within `timeout`. Throws ClientError when the broker
  // closed the connection (with the ERROR frame attached if one came first).
  std::optional<Frame> read_frame(Millis timeout);
  // Raw bytes, for tests that speak malformed protocol.
  void send_bytes(std::span<const std::uint8_t> bytes);
  // Non-fatal ERROR frames (e.g. stale_receipt) seen while waiting for something else.
  std::vector<Error> warnings;
  // Deliveries that arrived while waiting for another reply (kept for the next receive()).
  std::vector<Deliver> early_deliveries;
  // PUBLISH_OK frames that arrived while waiting for another reply.
  std::vector<PublishOk> early_confirms;
  void close();

 private:
  Frame expect(FrameType type, Millis timeout);
  bool fill(Millis timeout);  // reads more bytes; false on timeout

  int fd_ = -1;
  HelloOk hello_ok_;
  std::vector<std::uint8_t> in_;
  std::size_t begin_ = 0;
  std::vector<std::uint8_t> out_;
};

}  // namespace qlab::live
