#pragma once
// A minimal Redis client for the live benchmark: commands as RESP arrays of bulk strings, pipelined over a
// TcpClient (the caller flushes and polls), and replies parsed in order as they arrive (RESP2).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "bench/tcp_client.hpp"

namespace qlab::bench {

struct RedisReply {
  enum class Type { simple, error, integer, bulk, null, array };
  Type type = Type::null;
  std::int64_t integer = 0;  // integer; array: the number of elements (their contents are skipped)
  std::string_view text;     // simple, error, bulk: valid until the connection reads again
};

class RedisClient {
 public:
  RedisClient(const std::string& host, std::uint16_t port) : connection_(host, port) {}

  TcpClient& connection() { return connection_; }

  // Queue a command (sent at the next connection().flush()).
  void command(std::initializer_list<std::string_view> args);
  // The same, built piecewise (e.g. LPUSH with a batch of values): begin_command(n), then n add_argument();
  // the last one ends the command (TcpClient::end_command).
  void begin_command(std::size_t arguments);
  void add_argument(std::string_view argument);

  // The next complete reply in the input, or nullopt when it has not fully arrived. Error replies are
  // returned (type error), not thrown; a byte stream that is not RESP throws ClientError.
  std::optional<RedisReply> next_reply();

 private:
  TcpClient connection_;
  std::size_t arguments_left_ = 0;
};

}  // namespace qlab::bench
