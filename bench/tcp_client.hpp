#pragma once
// A TCP connection with an output and an input buffer: the transport under the live benchmark's small
// clients (qlab, beanstalkd, Redis). Connecting and flushing block; reading takes what one recv() returns,
// so one thread can poll() several connections and parse replies as they come. Not thread-safe.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qlab::bench {

// The connection failed, closed, or the server answered something the client cannot accept.
struct ClientError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class TcpClient {
 public:
  // Connects with TCP_NODELAY; throws ClientError.
  TcpClient(const std::string& host, std::uint16_t port);
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  int fd() const { return fd_; }

  // Bytes queued for the next flush().
  std::vector<std::uint8_t>& out() { return out_; }
  void append(std::string_view text) { out_.insert(out_.end(), text.begin(), text.end()); }
  // Sends what is queued (blocking); the callers bound what they queue, so the server never has to
  // write to us while we block here for long.
  void flush();

  // Request/response mode: with a limit k > 0, flush() sends whole commands only (each ended with
  // end_command()) and at most k of them before as many replied() calls; 0 (the default) sends everything.
  void set_max_outstanding(std::size_t k) { max_outstanding_ = k; }
  void end_command() {
    if (max_outstanding_ > 0) ends_.push_back(out_.size());
  }
  void replied() {
    if (outstanding_ > 0) --outstanding_;
  }

  // One recv() of what is available (call when poll() says readable); throws ClientError when the server
  // closed the connection.
  void read_available();
  // Waits up to `timeout_ms` for bytes and reads them; false on timeout.
  bool wait_and_read(int timeout_ms);

  // Unparsed input, and dropping the first `n` bytes of it once parsed.
  std::string_view input() const {
    return {reinterpret_cast<const char*>(in_.data()) + begin_, end_ - begin_};
  }
  void consume(std::size_t n) { begin_ += n; }

 private:
  int fd_ = -1;
  void send_range(std::size_t from, std::size_t to);

  std::vector<std::uint8_t> out_;
  std::size_t sent_ = 0;              // request/response mode: out_[0, sent_) is sent
  std::deque<std::size_t> ends_;      // request/response mode: where each queued command ends in out_
  std::size_t max_outstanding_ = 0;
  std::size_t outstanding_ = 0;
  std::vector<std::uint8_t> in_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace qlab::bench
