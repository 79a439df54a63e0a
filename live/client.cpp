#include "client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "tcp_connect.hpp"

namespace qlab::live {
namespace {

using SteadyClock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) { throw ClientError(what); }

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::pair<std::string, std::uint16_t> split_host_port(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    throw std::invalid_argument("'" + text + "': expected HOST:PORT");
  }
  std::size_t used = 0;
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() - colon - 1 || port > 65535) {
    throw std::invalid_argument("'" + text + "': port must be a number 0..65535");
  }
  return {text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

Client::Client(const std::string& host, std::uint16_t port, const Hello& hello, Millis timeout) {
  try {
    fd_ = tcp_connect(host, port);
  } catch (const ConnectError& e) {
    fail(e.what());
  }
  append_hello(out_, hello);
  send_bytes(out_);
  out_.clear();
  hello_ok_ = decode_hello_ok(expect(FrameType::hello_ok, timeout).body);
}

Client::~Client() { close(); }

Client::Client(Client&& other) noexcept
    : warnings(std::move(other.warnings)),
      early_deliveries(std::move(other.early_deliveries)),
      early_confirms(std::move(other.early_confirms)),
      fd_(other.fd_),
      hello_ok_(std::move(other.hello_ok_)),
      in_(std::move(other.in_)),
      begin_(other.begin_) {
  other.fd_ = -1;
}

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Client::send_bytes(std::span<const std::uint8_t> bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send failed: " + errno_text());
    }
    sent += static_cast<std::size_t>(n);
  }
}

bool Client::fill(Millis timeout) {
  if (fd_ < 0) fail("connection closed");
  pollfd p{fd_, POLLIN, 0};
  const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc < 0 && errno != EINTR) fail("poll failed: " + errno_text());
  if (rc <= 0) return false;
  if (begin_ > 0 && begin_ == in_.size()) {
    in_.clear();
    begin_ = 0;
  }
  const std::size_t old = in_.size();
  in_.resize(old + 65536);
  const ssize_t n = ::recv(fd_, in_.data() + old, 65536, 0);
  if (n <= 0) {
    in_.resize(old);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    fail(n == 0 ? "the broker closed the connection" : "recv failed: " + errno_text());
  }
  in_.resize(old + static_cast<std::size_t>(n));
  return true;
}

std::optional<Frame> Client::read_frame(Millis timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    const std::size_t have = in_.size() - begin_;
    if (have >= kHeaderSize) {
      const FrameHeader header =
          decode_header(std::span<const std::uint8_t, kHeaderSize>(in_.data() + begin_, kHeaderSize));
      if (have >= kHeaderSize + header.body_length) {
        Frame frame{header, std::vector<std::uint8_t>(in_.begin() + static_cast<std::ptrdiff_t>(begin_ + kHeaderSize),
                                                      in_.begin() + static_cast<std::ptrdiff_t>(begin_ + kHeaderSize +
                                                                                                header.body_length))};
        begin_ += kHeaderSize + header.body_length;
        if (begin_ > 1 << 20) {
          in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(begin_));
          begin_ = 0;
        }
        return frame;
      }
    }
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    if (left.count() < 0) return std::nullopt;
    if (!fill(left) && SteadyClock::now() >= deadline) return std::nullopt;
  }
}

Frame Client::expect(FrameType type, Millis timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    std::optional<Frame> frame = read_frame(left.count() > 0 ? left : Millis(0));
    if (!frame) fail(std::string("timed out waiting for ") + std::string(frame_type_name(type)));
    if (frame->header.type == type) return std::move(*frame);
    switch (frame->header.type) {
      case FrameType::error: {
        Error error = decode_error(frame->body);
        if (!error.fatal && type != FrameType::error) {
          warnings.push_back(std::move(error));
          continue;
        }
        ClientError e("broker error " + std::string(error_code_name(error.code)) + ": " + error.text);
        e.error = std::move(error);
        throw e;
      }
      case FrameType::deliver:
        early_deliveries.push_back(decode_deliver(frame->body));
        break;
      case FrameType::publish_ok:
        early_confirms.push_back(decode_publish_ok(frame->body));
        break;
      default:
        break;  // a PULL_END or STATS_OK nobody waits for
    }
  }
}

std::vector<PublishConfirm> Client::publish_settled(const Publish& batch, Millis timeout) {
  send_publish(batch);
  // Confirmations may come in several PUBLISH_OK frames (designs that confirm on replication): match them
  // to the batch by client_seq.
  std::unordered_map<std::uint64_t, std::size_t> index;
  for (std::size_t i = 0; i < batch.messages.size(); ++i) index.emplace(batch.messages[i].client_seq, i);
  std::vector<PublishConfirm> settled(batch.messages.size());
  std::size_t count = 0;
  const auto deadline = SteadyClock::now() + timeout;
  while (count < index.size()) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    const PublishOk ok = decode_publish_ok(expect(FrameType::publish_ok, left.count() > 0 ? left : Millis(0)).body);
    for (const PublishConfirm& c : ok.confirms) {
      const auto it = index.find(c.client_seq);
      if (it == index.end()) continue;
      settled[it->second] = c;
      if (c.status != PublishStatus::accepted) settled[it->second].message_id = 0;
      ++count;
    }
  }
  return settled;
}

std::vector<std::uint64_t> Client::publish(const Publish& batch, Millis timeout) {
  std::vector<std::uint64_t> ids;
  for (const PublishConfirm& c : publish_settled(batch, timeout)) ids.push_back(c.message_id);
  return ids;
}

void Client::send_publish(const Publish& batch) {
  out_.clear();
  append_publish(out_, batch);
  send_bytes(out_);
}

void Client::send_pull(const Pull& pull) {
  out_.clear();
  append_pull(out_, pull);
  send_bytes(out_);
}

std::vector<Deliver> Client::receive(std::uint32_t max_count, std::uint32_t wait_ms, Millis timeout) {
  std::vector<Deliver> got;
  got.swap(early_deliveries);
  if (got.size() >= max_count) return got;
  send_pull(Pull{max_count - static_cast<std::uint32_t>(got.size()), wait_ms, true});
  const auto deadline = SteadyClock::now() + timeout;
  const std::size_t want = max_count;
  while (got.size() < want) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
    std::optional<Frame> frame = read_frame(left.count() > 0 ? left : Millis(0));
    if (!frame) fail("timed out waiting for deliveries");
    if (frame->header.type == FrameType::deliver) {
      got.push_back(decode_deliver(frame->body));
    } else if (frame->header.type == FrameType::pull_end) {
      break;
    } else if (frame->header.type == FrameType::error) {
      Error error = decode_error(frame->body);
      if (!error.fatal) {
        warnings.push_back(std::move(error));
        continue;
      }
      ClientError e("broker error " + std::string(error_code_name(error.code)) + ": " + error.text);
      e.error = std::move(error);
      throw e;
    }
  }
  return got;
}

void Client::ack(const std::vector<std::uint64_t>& receipts) {
  out_.clear();
  append_receipts(out_, FrameType::ack, Receipts{receipts});
  send_bytes(out_);
}

void Client::release(const std::vector<std::uint64_t>& receipts) {
  out_.clear();
  append_receipts(out_, FrameType::release, Receipts{receipts});
  send_bytes(out_);
}

void Client::extend(std::uint64_t receipt, std::uint32_t timeout_ms) {
  out_.clear();
  append_extend(out_, Extend{receipt, timeout_ms});
  send_bytes(out_);
}

nlohmann::json Client::control(const nlohmann::json& order, Millis timeout) {
  out_.clear();
  append_control(out_, order.dump());
  send_bytes(out_);
  return nlohmann::json::parse(decode_stats_ok(expect(FrameType::stats_ok, timeout).body).json);
}

nlohmann::json Client::stats(Millis timeout) {
  out_.clear();
  append_stats(out_);
  send_bytes(out_);
  return nlohmann::json::parse(decode_stats_ok(expect(FrameType::stats_ok, timeout).body).json);
}

}  // namespace qlab::live
