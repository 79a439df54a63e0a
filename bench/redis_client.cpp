#include "bench/redis_client.hpp"

#include <charconv>

namespace qlab::bench {
namespace {

// Parses one RESP value starting at `at`; returns the offset just past it, or npos when incomplete.
std::size_t parse_value(std::string_view in, std::size_t at, RedisReply& reply) {
  const std::size_t eol = in.find("\r\n", at);
  if (eol == std::string_view::npos || eol == at) return std::string_view::npos;
  const char kind = in[at];
  const std::string_view line = in.substr(at + 1, eol - at - 1);
  const auto number = [&] {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc() || end != line.data() + line.size()) {
      throw ClientError("redis: bad number in reply '" + std::string(line) + "'");
    }
    return value;
  };
  switch (kind) {
    case '+':
      reply = {RedisReply::Type::simple, 0, line};
      return eol + 2;
    case '-':
      reply = {RedisReply::Type::error, 0, line};
      return eol + 2;
    case ':':
      reply = {RedisReply::Type::integer, number(), {}};
      return eol + 2;
    case '$': {
      const std::int64_t length = number();
      if (length < 0) {
        reply = {RedisReply::Type::null, 0, {}};
        return eol + 2;
      }
      const std::size_t end = eol + 2 + static_cast<std::size_t>(length) + 2;
      if (in.size() < end) return std::string_view::npos;
      reply = {RedisReply::Type::bulk, 0, in.substr(eol + 2, static_cast<std::size_t>(length))};
      return end;
    }
    case '*': {
      const std::int64_t count = number();
      if (count < 0) {
        reply = {RedisReply::Type::null, 0, {}};
        return eol + 2;
      }
      std::size_t next = eol + 2;
      RedisReply element;
      for (std::int64_t i = 0; i < count; ++i) {
        next = parse_value(in, next, element);
        if (next == std::string_view::npos) return next;
      }
      reply = {RedisReply::Type::array, count, {}};
      return next;
    }
    default:
      throw ClientError("redis: not a RESP reply (starts with byte " + std::to_string(static_cast<int>(kind)) + ")");
  }
}

}  // namespace

void RedisClient::begin_command(std::size_t arguments) {
  char head[32];
  head[0] = '*';
  char* end = std::to_chars(head + 1, head + sizeof head - 2, arguments).ptr;
  *end++ = '\r';
  *end++ = '\n';
  connection_.append(std::string_view(head, static_cast<std::size_t>(end - head)));
  arguments_left_ = arguments;
  if (arguments == 0) connection_.end_command();
}

void RedisClient::add_argument(std::string_view argument) {
  char head[32];
  head[0] = '$';
  char* end = std::to_chars(head + 1, head + sizeof head - 2, argument.size()).ptr;
  *end++ = '\r';
  *end++ = '\n';
  connection_.append(std::string_view(head, static_cast<std::size_t>(end - head)));
  connection_.append(argument);
  connection_.append("\r\n");
  if (arguments_left_ > 0 && --arguments_left_ == 0) connection_.end_command();
}

void RedisClient::command(std::initializer_list<std::string_view> args) {
  begin_command(args.size());
  for (std::string_view a : args) add_argument(a);
}

std::optional<RedisReply> RedisClient::next_reply() {
  RedisReply reply;
  const std::size_t end = parse_value(connection_.input(), 0, reply);
  if (end == std::string_view::npos) return std::nullopt;
  connection_.consume(end);
  connection_.replied();
  return reply;
}

}  // namespace qlab::bench
