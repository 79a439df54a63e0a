#pragma once
// Newline-delimited JSON over a TCP socket: the agent protocol's transport (see docs/LIVE.md).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace qlab::live {

class JsonLineSocket {
 public:
  explicit JsonLineSocket(int fd) : fd_(fd) {}
  // Connects to host:port (throws std::runtime_error).
  static JsonLineSocket connect(const std::string& host, std::uint16_t port);
  ~JsonLineSocket();
  JsonLineSocket(JsonLineSocket&& other) noexcept
      : fd_(other.fd_), in_(std::move(other.in_)), max_line_(other.max_line_) {
    other.fd_ = -1;
  }
  JsonLineSocket& operator=(JsonLineSocket&&) = delete;

  void send(const nlohmann::json& message);
  // The next message; throws std::runtime_error when the peer closed or `timeout` passed.
  nlohmann::json receive(Time timeout);
  // send + receive; a reply {"ok": false, "error": TEXT} throws std::runtime_error(TEXT).
  nlohmann::json call(const nlohmann::json& request, Time timeout = 30 * kSecond);
  // receive() throws std::runtime_error once a message grows beyond `bytes` without its newline.
  void limit_line(std::size_t bytes) { max_line_ = bytes; }

 private:
  int fd_ = -1;
  std::string in_;
  std::size_t max_line_ = std::string::npos;
};

// A listening TCP socket on address:port (port 0: ephemeral); returns the fd and sets `bound_port`.
int listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t& bound_port);

}  // namespace qlab::live
