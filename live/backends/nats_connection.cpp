#include "live/backends/nats_connection.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "live/steady_clock.hpp"
#include "live/tcp_connect.hpp"

namespace qlab::live {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::uint64_t to_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw BackendError("nats: bad number '" + std::string(text) + "' in a protocol line", false);
  }
  return value;
}

std::string random_inbox() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<std::uint64_t>(device()) << 32) ^ device());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(rng()));
  return std::string("_INBOX.") + text;
}

}  // namespace

int NatsMessage::status() const {
  // "NATS/1.0 503 No Responders\r\n..." or "NATS/1.0\r\n...".
  constexpr std::string_view kVersion = "NATS/1.0 ";
  if (headers.compare(0, kVersion.size(), kVersion) != 0) return 0;
  int code = 0;
  std::from_chars(headers.data() + kVersion.size(), headers.data() + headers.size(), code);
  return code;
}

std::string NatsMessage::header(std::string_view name) const {
  std::size_t line = headers.find(kCrlf);
  while (line != std::string::npos) {
    line += kCrlf.size();
    const std::size_t end = headers.find(kCrlf, line);
    if (end == std::string::npos) break;
    const std::string_view field(headers.data() + line, end - line);
    if (field.size() > name.size() && field.substr(0, name.size()) == name && field[name.size()] == ':') {
      std::string_view value = field.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    line = end;
  }
  return "";
}

std::string nats_headers(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string block = "NATS/1.0\r\n";
  for (const auto& [name, value] : fields) block += name + ": " + value + "\r\n";
  return block + "\r\n";
}

NatsConnection::NatsConnection(const std::vector<Endpoint>& endpoints, std::size_t first, const std::string& name,
                               Time timeout)
    : inbox_(random_inbox()) {
  std::string errors;
  for (std::size_t i = 0; i < endpoints.size() && fd_ < 0; ++i) {
    const Endpoint& candidate = endpoints[(first + i) % endpoints.size()];
    try {
      fd_ = tcp_connect(candidate.host, candidate.port);
    } catch (const ConnectError& e) {
      errors += std::string(errors.empty() ? "" : "; ") + e.what();
      continue;
    }
    endpoint_ = candidate;
  }
  if (fd_ < 0) throw BackendError("nats: " + (errors.empty() ? std::string("no endpoint") : errors), true);

  try {
    handshake(name, timeout);
  } catch (...) {
    ::close(fd_);  // no destructor runs for a constructor that throws
    throw;
  }
}

void NatsConnection::handshake(const std::string& name, Time timeout) {
  const Time deadline = monotonic_now() + timeout;
  std::size_t eol = std::string::npos;
  while ((eol = in_.find(kCrlf)) == std::string::npos) {
    if (!fill(deadline - monotonic_now())) fail("no INFO from the server", true);
  }
  const std::string info_line = in_.substr(0, eol);
  in_.erase(0, eol + kCrlf.size());
  if (info_line.rfind("INFO ", 0) != 0) fail("expected INFO, got '" + info_line + "'", true);
  const nlohmann::json info = nlohmann::json::parse(info_line.substr(5), nullptr, false);
  if (info.is_object() && info.contains("version") && info["version"].is_string()) {
    server_version_ = info["version"].get<std::string>();
  }

  const nlohmann::json connect = {{"verbose", false}, {"pedantic", false}, {"headers", true},
                                  {"no_responders", true}, {"protocol", 1}, {"lang", "c++"},
                                  {"version", "qlab"}, {"name", name}};
  out_ += "CONNECT " + connect.dump() + "\r\n";
  request_sid_ = subscribe(inbox_ + ".r.*");
  round_trip(deadline - monotonic_now());
}

NatsConnection::~NatsConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t NatsConnection::subscribe(const std::string& subject, const std::string& queue_group) {
  const std::uint64_t sid = next_sid_++;
  out_ += "SUB " + subject + (queue_group.empty() ? "" : " " + queue_group) + " " + std::to_string(sid) + "\r\n";
  return sid;
}

void NatsConnection::unsubscribe(std::uint64_t sid) { out_ += "UNSUB " + std::to_string(sid) + "\r\n"; }

void NatsConnection::publish(std::string_view subject, std::string_view reply, std::string_view headers,
                             std::string_view payload) {
  out_ += headers.empty() ? "PUB " : "HPUB ";
  out_ += subject;
  out_ += ' ';
  if (!reply.empty()) {
    out_ += reply;
    out_ += ' ';
  }
  if (!headers.empty()) out_ += std::to_string(headers.size()) + " ";
  out_ += std::to_string(headers.size() + payload.size());
  out_ += kCrlf;
  out_ += headers;
  out_ += payload;
  out_ += kCrlf;
}

void NatsConnection::send() {
  std::size_t sent = 0;
  while (sent < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(std::string("send failed: ") + std::strerror(errno), true);
    sent += static_cast<std::size_t>(n);
  }
  out_.clear();
}

bool NatsConnection::fill(Time timeout) {
  send();
  pollfd p{fd_, POLLIN, 0};
  const int ms = timeout <= 0 ? 0 : static_cast<int>((timeout + kMillisecond - 1) / kMillisecond);
  const int ready = ::poll(&p, 1, ms);
  if (ready < 0 && errno != EINTR) fail(std::string("poll failed: ") + std::strerror(errno), true);
  if (ready <= 0) return false;
  char buffer[65536];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n == 0) fail("the server closed the connection", true);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return false;
    fail(std::string("recv failed: ") + std::strerror(errno), true);
  }
  in_.erase(0, in_pos_);  // what parse_one() consumed; a partial message stays
  in_pos_ = 0;
  in_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

bool NatsConnection::parse_one(std::vector<NatsMessage>& out) {
  const std::size_t eol = in_.find(kCrlf, in_pos_);
  if (eol == std::string::npos) return false;
  const std::string_view line(in_.data() + in_pos_, eol - in_pos_);
  const std::vector<std::string_view> words = split_words(line);
  const std::size_t body = eol + kCrlf.size();
  if (words.empty()) {
    in_pos_ = body;
    return true;
  }
  const std::string_view op = words[0];
  if (op == "MSG" || op == "HMSG") {
    const bool with_headers = op == "HMSG";
    const std::size_t sizes = with_headers ? 2 : 1;
    if (words.size() != 3 + sizes && words.size() != 4 + sizes) fail("bad " + std::string(line), false);
    const std::size_t total = to_number(words.back());
    const std::size_t header_size = with_headers ? to_number(words[words.size() - 2]) : 0;
    if (header_size > total) fail("bad " + std::string(line), false);
    if (in_.size() < body + total + kCrlf.size()) return false;
    NatsMessage m;
    m.subject = words[1];
    m.sid = to_number(words[2]);
    if (words.size() == 4 + sizes) m.reply = words[3];
    m.headers = in_.substr(body, header_size);
    m.payload = in_.substr(body + header_size, total - header_size);
    out.push_back(std::move(m));
    in_pos_ = body + total + kCrlf.size();
  } else {
    in_pos_ = body;
    if (op == "PING") {
      out_ += "PONG\r\n";
    } else if (op == "PONG") {
      ++pongs_;
    } else if (op == "-ERR") {
      // The server closes the connection after these; other errors (permissions, bad subjects) are bugs.
      const bool lost = line.find("Stale Connection") != std::string_view::npos ||
                        line.find("Slow Consumer") != std::string_view::npos;
      fail("server error: " + std::string(line), lost);
    }  // +OK and asynchronous INFO (cluster topology updates) need no action
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  return true;
}

bool NatsConnection::read(Time timeout, std::vector<NatsMessage>& out) {
  const std::size_t before = out.size();
  const std::uint64_t pongs_before = pongs_;
  while (!held_.empty()) {
    out.push_back(std::move(held_.front()));
    held_.pop_front();
  }
  while (parse_one(out)) {
  }
  if (out.size() > before) return true;
  const Time deadline = monotonic_now() + timeout;
  while (out.size() == before && pongs_ == pongs_before) {
    if (!fill(deadline - monotonic_now())) break;
    while (parse_one(out)) {
    }
  }
  send();  // the PONGs owed
  return out.size() > before || pongs_ != pongs_before;
}

NatsMessage NatsConnection::request(const std::string& subject, std::string_view headers, std::string_view payload,
                                    Time timeout) {
  const std::string reply = inbox_ + ".r." + std::to_string(next_request_++);
  publish(subject, reply, headers, payload);
  const Time deadline = monotonic_now() + timeout;
  std::vector<NatsMessage> got;
  while (true) {
    while (parse_one(got)) {
    }
    std::optional<NatsMessage> answer;
    for (NatsMessage& m : got) {
      if (m.sid != request_sid_) {
        held_.push_back(std::move(m));
      } else if (m.subject == reply) {
        answer = std::move(m);
      }  // answers to earlier requests that timed out are dropped
    }
    if (answer) return std::move(*answer);
    got.clear();
    const Time left = deadline - monotonic_now();
    if (left <= 0 || (!fill(left) && monotonic_now() >= deadline)) fail("no answer to " + subject, true);
  }
}

void NatsConnection::round_trip(Time timeout) {
  const std::uint64_t wanted = pongs_ + 1;
  out_ += "PING\r\n";
  const Time deadline = monotonic_now() + timeout;
  std::vector<NatsMessage> got;
  while (pongs_ < wanted) {
    while (parse_one(got)) {
    }
    if (pongs_ >= wanted) break;
    const Time left = deadline - monotonic_now();
    if (left <= 0 || (!fill(left) && monotonic_now() >= deadline)) fail("no PONG", true);
  }
  for (NatsMessage& m : got) held_.push_back(std::move(m));
  send();
}

void NatsConnection::fail(const std::string& what, bool lost) const {
  throw BackendError("nats " + endpoint_.host + ":" + std::to_string(endpoint_.port) + ": " + what, lost);
}

}  // namespace qlab::live
