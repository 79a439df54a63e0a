#include "json_lines.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "live/steady_clock.hpp"

namespace qlab::live {

JsonLineSocket JsonLineSocket::connect(const std::string& host, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("agent address '" + host + "' is not an IPv4 address");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot reach the agent at " + host + ":" + std::to_string(port) + ": " + why);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return JsonLineSocket(fd);
}

JsonLineSocket::~JsonLineSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonLineSocket::send(const nlohmann::json& message) {
  const std::string text = message.dump() + "\n";
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("agent connection: send failed: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
}

nlohmann::json JsonLineSocket::receive(Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  for (;;) {
    if (const std::size_t newline = in_.find('\n'); newline != std::string::npos) {
      const std::string line = in_.substr(0, newline);
      in_.erase(0, newline + 1);
      return nlohmann::json::parse(line);
    }
    const Time left = deadline - monotonic_now();
    if (left <= 0) throw std::runtime_error("agent connection: no reply in time");
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left / kMillisecond) + 1);
    if (rc < 0 && errno != EINTR) throw std::runtime_error("agent connection: poll failed");
    if (rc <= 0) continue;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("agent connection closed");
    in_.append(buffer, static_cast<std::size_t>(n));
    if (in_.size() > max_line_ && in_.find('\n') == std::string::npos) {
      throw std::runtime_error("agent connection: a message longer than " + std::to_string(max_line_) + " bytes");
    }
  }
}

nlohmann::json JsonLineSocket::call(const nlohmann::json& request, Time timeout) {
  send(request);
  nlohmann::json reply = receive(timeout);
  if (!reply.value("ok", false)) throw std::runtime_error("agent: " + reply.value("error", std::string("request failed")));
  return reply;
}

int listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t& bound_port) {
  sockaddr_in bind_to{};
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &bind_to.sin_addr) != 1) {
    throw std::invalid_argument("listen address '" + address + "' is not an IPv4 address");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&bind_to), sizeof bind_to) != 0 || ::listen(fd, 16) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) + ": " + why);
  }
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  bound_port = ntohs(bound.sin_port);
  return fd;
}

}  // namespace qlab::live
