#include "bench/beanstalk_client.hpp"

#include <charconv>
#include <cstdio>

namespace qlab::bench {
namespace {

std::uint64_t parse_number(std::string_view text, std::string_view line) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw ClientError("beanstalkd: cannot parse a number in '" + std::string(line) + "'");
  }
  return value;
}

}  // namespace

void BeanstalkClient::put(std::string_view body, std::uint32_t priority, std::uint32_t ttr_seconds) {
  char head[64];
  const int n = std::snprintf(head, sizeof head, "put %u 0 %u %zu\r\n", priority, ttr_seconds, body.size());
  connection_.append(std::string_view(head, static_cast<std::size_t>(n)));
  connection_.append(body);
  connection_.append("\r\n");
  connection_.end_command();
}

std::string BeanstalkClient::request(std::string_view line, int timeout_ms) {
  connection_.append(line);
  connection_.append("\r\n");
  connection_.flush();
  for (;;) {
    const std::string_view in = connection_.input();
    if (const std::size_t eol = in.find("\r\n"); eol != std::string_view::npos) {
      std::string reply(in.substr(0, eol));
      connection_.consume(eol + 2);
      return reply;
    }
    if (!connection_.wait_and_read(timeout_ms)) {
      throw ClientError("beanstalkd: no reply to '" + std::string(line) + "'");
    }
  }
}

void BeanstalkClient::reserve() {
  connection_.append("reserve\r\n");
  connection_.end_command();
}

void BeanstalkClient::delete_job(std::uint64_t id) {
  char line[40] = "delete ";
  char* end = std::to_chars(line + 7, line + sizeof line - 2, id).ptr;
  *end++ = '\r';
  *end++ = '\n';
  connection_.append(std::string_view(line, static_cast<std::size_t>(end - line)));
  connection_.end_command();
}

std::optional<BeanstalkReply> BeanstalkClient::next_reply() {
  const std::string_view in = connection_.input();
  const std::size_t eol = in.find("\r\n");
  if (eol == std::string_view::npos) return std::nullopt;
  const std::string_view line = in.substr(0, eol);
  BeanstalkReply reply;
  if (line.starts_with("INSERTED ")) {
    reply.kind = BeanstalkReply::Kind::inserted;
    reply.id = parse_number(line.substr(9), line);
    connection_.consume(eol + 2);
  } else if (line == "DELETED") {
    reply.kind = BeanstalkReply::Kind::deleted;
    connection_.consume(eol + 2);
  } else if (line.starts_with("RESERVED ")) {
    const std::string_view rest = line.substr(9);
    const std::size_t space = rest.find(' ');
    if (space == std::string_view::npos) throw ClientError("beanstalkd: bad reply '" + std::string(line) + "'");
    reply.kind = BeanstalkReply::Kind::reserved;
    reply.id = parse_number(rest.substr(0, space), line);
    const std::uint64_t bytes = parse_number(rest.substr(space + 1), line);
    if (in.size() < eol + 2 + bytes + 2) return std::nullopt;
    reply.body = in.substr(eol + 2, bytes);
    connection_.consume(eol + 2 + bytes + 2);
  } else {
    throw ClientError("beanstalkd: unexpected reply '" + std::string(line) + "'");
  }
  connection_.replied();
  return reply;
}

}  // namespace qlab::bench
