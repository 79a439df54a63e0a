#pragma once
// A blocking TCP connection to host:port (any address family), with Nagle's algorithm off: the one piece
// of socket code the live client and the benchmark's clients share.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace qlab::live {

struct ConnectError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The connected socket's file descriptor (close-on-exec); throws ConnectError saying why it failed.
int tcp_connect(const std::string& host, std::uint16_t port);

}  // namespace qlab::live
