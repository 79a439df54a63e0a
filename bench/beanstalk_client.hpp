#pragma once
// A minimal beanstalkd client for the live benchmark: the text protocol's put, reserve and delete,
// pipelined over a TcpClient (the caller flushes and polls). Replies are parsed in order as they arrive.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/tcp_client.hpp"

namespace qlab::bench {

struct BeanstalkReply {
  enum class Kind { inserted, reserved, deleted };
  Kind kind = Kind::inserted;
  std::uint64_t id = 0;   // inserted, reserved
  std::string_view body;  // reserved: the job's bytes, valid until the connection reads again
};

class BeanstalkClient {
 public:
  BeanstalkClient(const std::string& host, std::uint16_t port) : connection_(host, port) {}

  TcpClient& connection() { return connection_; }

  // Sends one command line (without CRLF) and waits for its one-line reply (set-up: use, watch, ignore).
  std::string request(std::string_view line, int timeout_ms = 10'000);

  // Queue a command (sent at the next connection().flush()).
  void put(std::string_view body, std::uint32_t priority = 0, std::uint32_t ttr_seconds = 60);
  void reserve();
  void delete_job(std::uint64_t id);

  // The next complete reply in the input, or nullopt when it has not fully arrived. Throws ClientError
  // on any other reply (BURIED, JOB_TOO_BIG, NOT_FOUND, OUT_OF_MEMORY, ...): the benchmark expects none.
  std::optional<BeanstalkReply> next_reply();

 private:
  TcpClient connection_;
};

}  // namespace qlab::bench
