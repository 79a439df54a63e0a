#include "live/backends/tcp_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "live/tcp_connect.hpp"

namespace qlab::live {
namespace {

constexpr std::size_t kReadChunk = 256 * 1024;

}  // namespace

TcpConnection::TcpConnection(const Endpoint& endpoint, std::string what) : what_(std::move(what)) {
  try {
    fd_ = tcp_connect(endpoint.host, endpoint.port);
  } catch (const ConnectError& e) {
    throw BackendError(what_ + ": " + e.what(), true);
  }
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpConnection::fail(const std::string& why) const { throw BackendError(what_ + ": " + why, true); }

void TcpConnection::send() {
  std::size_t sent = 0;
  while (sent < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::string("send failed: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  out_.clear();
}

void TcpConnection::read_available() {
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
  if (n == 0) fail("the server closed the connection");
  if (n < 0) {
    if (errno == EAGAIN) return;
    fail(std::string("recv failed: ") + std::strerror(errno));
  }
  end_ += static_cast<std::size_t>(n);
}

bool TcpConnection::wait_and_read(Time timeout) {
  pollfd p{fd_, POLLIN, 0};
  const int rc = ::poll(&p, 1, static_cast<int>((timeout + kMillisecond - 1) / kMillisecond));
  if (rc < 0 && errno != EINTR) fail(std::string("poll failed: ") + std::strerror(errno));
  if (rc <= 0) return false;
  read_available();
  return true;
}

}  // namespace qlab::live
