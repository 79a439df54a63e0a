#include "bench/tcp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "live/tcp_connect.hpp"

namespace qlab::bench {
namespace {

constexpr std::size_t kReadChunk = 256 * 1024;

std::string errno_text() { return std::strerror(errno); }

}  // namespace

TcpClient::TcpClient(const std::string& host, std::uint16_t port) {
  try {
    fd_ = live::tcp_connect(host, port);
  } catch (const live::ConnectError& e) {
    throw ClientError(e.what());
  }
}

TcpClient::~TcpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpClient::send_range(std::size_t from, std::size_t to) {
  while (from < to) {
    const ssize_t n = ::send(fd_, out_.data() + from, to - from, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw ClientError("send failed: " + errno_text());
    }
    from += static_cast<std::size_t>(n);
  }
}

void TcpClient::flush() {
  if (max_outstanding_ == 0) {
    send_range(0, out_.size());
    out_.clear();
    return;
  }
  while (outstanding_ < max_outstanding_ && !ends_.empty()) {
    send_range(sent_, ends_.front());
    sent_ = ends_.front();
    ends_.pop_front();
    ++outstanding_;
  }
  if (sent_ == out_.size()) {
    out_.clear();
    sent_ = 0;
    ends_.clear();
  } else if (sent_ > (1u << 16)) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(sent_));
    for (std::size_t& end : ends_) end -= sent_;
    sent_ = 0;
  }
}

void TcpClient::read_available() {
  // in_ is raw storage: [begin_, end_) is unparsed input; it grows only when a chunk does not fit.
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (in_.size() - end_ < kReadChunk && begin_ > 0) {
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (in_.size() - end_ < kReadChunk) in_.resize(end_ + kReadChunk);
  ssize_t n = 0;
  do {
    n = ::recv(fd_, in_.data() + end_, in_.size() - end_, 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) throw ClientError("the server closed the connection");
  if (n < 0) {
    if (errno == EAGAIN) return;
    throw ClientError("recv failed: " + errno_text());
  }
  end_ += static_cast<std::size_t>(n);
}

bool TcpClient::wait_and_read(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  const int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) throw ClientError("poll failed: " + errno_text());
  if (rc <= 0) return false;
  read_available();
  return true;
}

}  // namespace qlab::bench
