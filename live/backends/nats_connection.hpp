#pragma once
// One connection speaking the NATS client protocol (the text protocol of nats-server): INFO/CONNECT,
// PUB/HPUB, SUB/UNSUB, MSG/HMSG, PING/PONG. Blocking socket, one thread. Errors are BackendError:
// connection_lost when the socket closes or no endpoint answers, not lost for a protocol error (-ERR).
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"

namespace qlab::live {

struct NatsMessage {
  std::string subject;
  std::uint64_t sid = 0;
  std::string reply;
  std::string headers;  // the raw header block of an HMSG ("NATS/1.0 ...\r\nKey: Value\r\n\r\n"), else empty
  std::string payload;

  // The status code of a status message ("NATS/1.0 503"), or 0.
  int status() const;
  // The value of header `name` (case-sensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

// A header block for HPUB from name/value pairs.
std::string nats_headers(const std::vector<std::pair<std::string, std::string>>& fields);

class NatsConnection {
 public:
  // Connects to the first of `endpoints` (trying them in turn from index `first`) that answers INFO, sends
  // CONNECT with headers and no_responders on and waits for the PONG. Throws BackendError (lost) otherwise.
  NatsConnection(const std::vector<Endpoint>& endpoints, std::size_t first, const std::string& name, Time timeout);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& server_version() const { return server_version_; }
  // A subject prefix unique to this connection, for reply subjects ("_INBOX.<random>").
  const std::string& inbox() const { return inbox_; }

  // Buffered until send() (or any read).
  std::uint64_t subscribe(const std::string& subject, const std::string& queue_group = "");
  void unsubscribe(std::uint64_t sid);
  void publish(std::string_view subject, std::string_view reply, std::string_view headers, std::string_view payload);
  // Writes everything buffered.
  void send();
  // Waits at most `timeout` for data, then appends every complete message received (PINGs are answered).
  // Returns false when nothing arrived in time.
  bool read(Time timeout, std::vector<NatsMessage>& out);
  // Publishes `payload` with a fresh reply subject and returns the answer; messages for other subscriptions
  // that arrive meanwhile are kept for the next read(). Throws BackendError (lost) after `timeout`.
  NatsMessage request(const std::string& subject, std::string_view headers, std::string_view payload, Time timeout);
  // Returns once the server has processed everything sent so far (PING/PONG), or throws after `timeout`.
  void round_trip(Time timeout);

 private:
  void handshake(const std::string& name, Time timeout);  // INFO, CONNECT, PING/PONG
  bool fill(Time timeout);                            // one recv into in_; false on timeout
  bool parse_one(std::vector<NatsMessage>& out);      // false when in_ holds no complete message
  [[noreturn]] void fail(const std::string& what, bool lost) const;

  int fd_ = -1;
  Endpoint endpoint_;
  std::string server_version_;
  std::string inbox_;
  std::string in_;
  std::size_t in_pos_ = 0;
  std::string out_;
  std::uint64_t next_sid_ = 1;
  std::uint64_t request_sid_ = 0;
  std::uint64_t next_request_ = 1;
  std::uint64_t pongs_ = 0;
  std::deque<NatsMessage> held_;  // read during request(), returned by the next read()
};

}  // namespace qlab::live
