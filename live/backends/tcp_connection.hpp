#pragma once
// A TCP connection with an output and an input buffer, for the text-protocol clients (beanstalkd): commands
// are appended and sent by send() (blocking; the callers bound what they pipeline), and input is read one
// recv() at a time when poll() says the socket is readable, then parsed in place. Failures are BackendError
// with connection_lost set. Not thread-safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "live/backends/broker_client.hpp"

namespace qlab::live {

class TcpConnection {
 public:
  // Connects with TCP_NODELAY; `what` names the server in error messages.
  TcpConnection(const Endpoint& endpoint, std::string what);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  int fd() const { return fd_; }

  void append(std::string_view text) { out_.insert(out_.end(), text.begin(), text.end()); }
  // Sends everything appended.
  void send();
  // One recv() of what is available (call when the socket is readable).
  void read_available();
  // Waits up to `timeout` for bytes and reads them; false on timeout.
  bool wait_and_read(Time timeout);

  // Unparsed input, and dropping its first `n` bytes once parsed.
  std::string_view input() const { return {in_.data() + begin_, end_ - begin_}; }
  void consume(std::size_t n) { begin_ += n; }

 private:
  [[noreturn]] void fail(const std::string& why) const;

  int fd_ = -1;
  std::string what_;
  std::vector<char> out_;
  std::vector<char> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace qlab::live
