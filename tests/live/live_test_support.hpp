#pragma once
// An in-process broker on an ephemeral loopback port, run on a background thread, with its log lines
// captured so tests can wait for them (no sleeps: every wait is on an event with a timeout).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "live/broker.hpp"
#include "live/client.hpp"

namespace qlab::live::testing {

class TestBroker {
 public:
  explicit TestBroker(BrokerConfig config) {
    config.address = "127.0.0.1";
    config.port = 0;
    config.log = [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      log_.push_back(line);
      changed_.notify_all();
    };
    broker_ = std::make_unique<Broker>(std::move(config));
    thread_ = std::thread([this] { broker_->run(); });
  }
  ~TestBroker() {
    broker_->stop();
    thread_.join();
  }

  std::uint16_t port() const { return broker_->port(); }

  Client connect(Role role, const std::string& name = "", const std::string& token = "") {
    return Client("127.0.0.1", port(), Hello{kProtocolVersion, role, name, token});
  }

  // True once a log line containing every one of `parts` appeared (within `timeout`).
  bool wait_for_log(const std::vector<std::string>& parts, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const std::string& line : log_) {
        bool all = true;
        for (const std::string& part : parts) all = all && line.find(part) != std::string::npos;
        if (all) return true;
      }
      return false;
    });
  }

  std::string log_text() {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const std::string& line : log_) text += line + "\n";
    return text;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> log_;
  std::unique_ptr<Broker> broker_;
  std::thread thread_;
};

// A bare TCP connection for speaking broken protocol.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(const std::vector<std::uint8_t>& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the broker may already have closed: that is fine for these tests
      sent += static_cast<std::size_t>(n);
    }
  }
  void send(const std::string& text) { send(std::vector<std::uint8_t>(text.begin(), text.end())); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Everything the broker sends until it closes the connection; false if it did not close within `timeout`.
  bool read_until_closed(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      std::uint8_t buffer[4096];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return true;
      out.insert(out.end(), buffer, buffer + n);
    }
  }

  // The first frame of `bytes`, which must be an ERROR.
  static Error first_error(const std::vector<std::uint8_t>& bytes) {
    if (bytes.size() < kHeaderSize) throw std::runtime_error("no frame received");
    const FrameHeader header = decode_header(std::span<const std::uint8_t, kHeaderSize>(bytes.data(), kHeaderSize));
    if (header.type != FrameType::error) throw std::runtime_error("first frame is not ERROR");
    return decode_error(std::span<const std::uint8_t>(bytes).subspan(kHeaderSize, header.body_length));
  }

 private:
  int fd_ = -1;
};

}  // namespace qlab::live::testing
