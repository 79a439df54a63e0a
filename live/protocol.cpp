#include "protocol.hpp"

#include <cstdio>
#include <cstring>

namespace qlab::live {
namespace {

// Appends little-endian fields; begin() reserves the header, finish() fills in the body length.
class Writer {
 public:
  Writer(std::vector<std::uint8_t>& out, FrameType type, std::uint16_t flags = 0) : out_(out), start_(out.size()) {
    out_.insert(out_.end(), {kMagic0, kMagic1, kFrameVersion, static_cast<std::uint8_t>(type),
                             static_cast<std::uint8_t>(flags), static_cast<std::uint8_t>(flags >> 8), 0, 0, 0, 0, 0, 0});
  }
  ~Writer() {
    const std::size_t length = out_.size() - start_ - kHeaderSize;
    for (int i = 0; i < 4; ++i) out_[start_ + 8 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(std::string_view text) { out_.insert(out_.end(), text.begin(), text.end()); }
  void str16(std::string_view text) {
    if (text.size() > 0xFFFF) throw ProtocolError(ErrorCode::malformed, "string longer than 65535 bytes");
    u16(static_cast<std::uint16_t>(text.size()));
    bytes(text);
  }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t>& out_;
  std::size_t start_;
};

class Reader {
 public:
  Reader(std::span<const std::uint8_t> body, std::string_view what) : body_(body), what_(what) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::string bytes(std::size_t n) {
    need(n);
    std::string text(reinterpret_cast<const char*>(body_.data() + at_), n);
    at_ += n;
    return text;
  }
  std::string str16() { return bytes(u16()); }
  std::size_t remaining() const { return body_.size() - at_; }
  void done() const {
    if (at_ != body_.size()) {
      fail(std::to_string(body_.size() - at_) + " unexpected trailing bytes");
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw ProtocolError(ErrorCode::malformed, std::string(what_) + " body: " + why);
  }

 private:
  void need(std::size_t n) const {
    if (body_.size() - at_ < n) {
      fail("truncated at byte " + std::to_string(at_) + " (needs " + std::to_string(n) + " more, has " +
           std::to_string(body_.size() - at_) + ")");
    }
  }
  std::uint64_t get(int n) {
    need(static_cast<std::size_t>(n));
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(body_[at_ + i]) << (8 * i);
    at_ += static_cast<std::size_t>(n);
    return v;
  }
  std::span<const std::uint8_t> body_;
  std::string_view what_;
  std::size_t at_ = 0;
};

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::producer: return "producer";
    case Role::consumer: return "consumer";
    case Role::admin: return "admin";
  }
  return "unknown";
}

std::string_view frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::hello: return "HELLO";
    case FrameType::hello_ok: return "HELLO_OK";
    case FrameType::error: return "ERROR";
    case FrameType::publish: return "PUBLISH";
    case FrameType::publish_ok: return "PUBLISH_OK";
    case FrameType::pull: return "PULL";
    case FrameType::deliver: return "DELIVER";
    case FrameType::pull_end: return "PULL_END";
    case FrameType::ack: return "ACK";
    case FrameType::release: return "RELEASE";
    case FrameType::extend: return "EXTEND";
    case FrameType::stats: return "STATS";
    case FrameType::stats_ok: return "STATS_OK";
    case FrameType::control: return "CONTROL";
  }
  return "UNKNOWN";
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_magic: return "bad_magic";
    case ErrorCode::unsupported_version: return "unsupported_version";
    case ErrorCode::unknown_type: return "unknown_type";
    case ErrorCode::frame_too_large: return "frame_too_large";
    case ErrorCode::malformed: return "malformed";
    case ErrorCode::hello_required: return "hello_required";
    case ErrorCode::auth_failed: return "auth_failed";
    case ErrorCode::wrong_role: return "wrong_role";
    case ErrorCode::stale_receipt: return "stale_receipt";
    case ErrorCode::name_in_use: return "name_in_use";
    case ErrorCode::shutting_down: return "shutting_down";
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::timed_out: return "timed_out";
    case ErrorCode::too_many_connections: return "too_many_connections";
  }
  return "unknown_error";
}

std::string_view publish_status_name(PublishStatus status) {
  switch (status) {
    case PublishStatus::accepted: return "accepted";
    case PublishStatus::refused: return "refused";
    case PublishStatus::too_large: return "too_large";
    case PublishStatus::queue_full: return "queue_full";
  }
  return "unknown_status";
}

FrameHeader decode_header(std::span<const std::uint8_t, kHeaderSize> b) {
  if (b[0] != kMagic0 || b[1] != kMagic1) {
    char text[96];
    std::snprintf(text, sizeof text, "bad magic 0x%02x%02x (expected \"QL\"): not a qlab client?", b[0], b[1]);
    throw ProtocolError(ErrorCode::bad_magic, text);
  }
  if (b[2] != kFrameVersion) {
    throw ProtocolError(ErrorCode::unsupported_version,
                        "frame version " + std::to_string(b[2]) + " (this broker speaks " +
                            std::to_string(kFrameVersion) + ")");
  }
  if (b[3] == 0 || b[3] > kLastFrameType) {
    throw ProtocolError(ErrorCode::unknown_type, "unknown frame type " + std::to_string(b[3]));
  }
  FrameHeader header;
  header.type = static_cast<FrameType>(b[3]);
  header.flags = static_cast<std::uint16_t>(b[4] | (b[5] << 8));
  header.body_length = static_cast<std::uint32_t>(b[8]) | (static_cast<std::uint32_t>(b[9]) << 8) |
                       (static_cast<std::uint32_t>(b[10]) << 16) | (static_cast<std::uint32_t>(b[11]) << 24);
  if (header.body_length > kMaxBodyLength) {
    throw ProtocolError(ErrorCode::frame_too_large, "body length " + std::to_string(header.body_length) +
                                                        " exceeds the maximum " + std::to_string(kMaxBodyLength));
  }
  return header;
}

void append_hello(std::vector<std::uint8_t>& out, const Hello& body) {
  Writer w(out, FrameType::hello);
  w.u16(body.protocol_version);
  w.u8(static_cast<std::uint8_t>(body.role));
  w.u8(0);
  w.str16(body.name);
  w.str16(body.token);
}

void append_hello_ok(std::vector<std::uint8_t>& out, const HelloOk& body) {
  Writer w(out, FrameType::hello_ok);
  w.u16(body.protocol_version);
  w.u16(0);
  w.u32(body.session_id);
  w.u32(body.consumer_id);
  w.u32(body.max_body_length);
  w.str16(body.design);
}

void append_error(std::vector<std::uint8_t>& out, const Error& body) {
  Writer w(out, FrameType::error);
  w.u16(static_cast<std::uint16_t>(body.code));
  w.u8(body.fatal ? 1 : 0);
  w.u8(0);
  w.u64(body.ref);
  w.str16(body.text.size() > 4096 ? std::string_view(body.text).substr(0, 4096) : std::string_view(body.text));
}

void append_publish(std::vector<std::uint8_t>& out, const Publish& body) {
  Writer w(out, FrameType::publish);
  w.u32(static_cast<std::uint32_t>(body.messages.size()));
  for (const PublishItem& m : body.messages) {
    w.u64(m.client_seq);
    w.u64(m.key);
    w.u64(m.producer_time);
    w.u32(static_cast<std::uint32_t>(m.payload.size()));
    w.bytes(m.payload);
  }
}

void append_publish_ok(std::vector<std::uint8_t>& out, const PublishOk& body) {
  Writer w(out, FrameType::publish_ok);
  w.u32(static_cast<std::uint32_t>(body.confirms.size()));
  for (const PublishConfirm& c : body.confirms) {
    w.u64(c.client_seq);
    w.u64(c.message_id);
    w.u8(static_cast<std::uint8_t>(c.status));
  }
}

void append_pull(std::vector<std::uint8_t>& out, const Pull& body) {
  Writer w(out, FrameType::pull, body.return_early ? kPullReturnEarly : 0);
  w.u32(body.max_count);
  w.u32(body.wait_ms);
}

void append_deliver(std::vector<std::uint8_t>& out, std::uint64_t message_id, std::uint64_t receipt,
                    std::uint32_t receive_count, std::uint64_t publish_time, std::uint64_t producer_time,
                    std::uint64_t key, std::string_view payload) {
  Writer w(out, FrameType::deliver);
  w.u64(message_id);
  w.u64(receipt);
  w.u32(receive_count);
  w.u64(publish_time);
  w.u64(producer_time);
  w.u64(key);
  w.u32(static_cast<std::uint32_t>(payload.size()));
  w.bytes(payload);
}

void append_deliver(std::vector<std::uint8_t>& out, const Deliver& d) {
  append_deliver(out, d.message_id, d.receipt, d.receive_count, d.publish_time, d.producer_time, d.key, d.payload);
}

void append_pull_end(std::vector<std::uint8_t>& out, const PullEnd& body) {
  Writer w(out, FrameType::pull_end);
  w.u32(body.withdrawn);
}

void append_receipts(std::vector<std::uint8_t>& out, FrameType type, const Receipts& body) {
  Writer w(out, type);
  w.u32(static_cast<std::uint32_t>(body.receipts.size()));
  for (std::uint64_t r : body.receipts) w.u64(r);
}

void append_extend(std::vector<std::uint8_t>& out, const Extend& body) {
  Writer w(out, FrameType::extend);
  w.u64(body.receipt);
  w.u32(body.timeout_ms);
}

void append_stats(std::vector<std::uint8_t>& out) { Writer w(out, FrameType::stats); }

void append_control(std::vector<std::uint8_t>& out, const std::string& json) {
  Writer w(out, FrameType::control);
  w.bytes(json);
}

void append_stats_ok(std::vector<std::uint8_t>& out, const StatsOk& body) {
  Writer w(out, FrameType::stats_ok);
  w.bytes(body.json);
}

Hello decode_hello(std::span<const std::uint8_t> body) {
  Reader r(body, "HELLO");
  Hello h;
  h.protocol_version = r.u16();
  const std::uint8_t role = r.u8();
  if (role < 1 || role > 3) r.fail("role " + std::to_string(role) + " (expected 1 producer, 2 consumer, 3 admin)");
  h.role = static_cast<Role>(role);
  r.u8();
  h.name = r.str16();
  h.token = r.str16();
  r.done();
  return h;
}

HelloOk decode_hello_ok(std::span<const std::uint8_t> body) {
  Reader r(body, "HELLO_OK");
  HelloOk h;
  h.protocol_version = r.u16();
  r.u16();
  h.session_id = r.u32();
  h.consumer_id = r.u32();
  h.max_body_length = r.u32();
  h.design = r.str16();
  r.done();
  return h;
}

Error decode_error(std::span<const std::uint8_t> body) {
  Reader r(body, "ERROR");
  Error e;
  e.code = static_cast<ErrorCode>(r.u16());
  e.fatal = r.u8() != 0;
  r.u8();
  e.ref = r.u64();
  e.text = r.str16();
  r.done();
  return e;
}

Publish decode_publish(std::span<const std::uint8_t> body) {
  Reader r(body, "PUBLISH");
  const std::uint32_t count = r.u32();
  if (count == 0) r.fail("a batch of 0 messages");
  // Each message takes at least 28 bytes: refuse counts the body cannot hold before reserving memory.
  if (count > r.remaining() / 28) r.fail("count " + std::to_string(count) + " does not fit the body");
  Publish p;
  p.messages.resize(count);
  for (PublishItem& m : p.messages) {
    m.client_seq = r.u64();
    m.key = r.u64();
    m.producer_time = r.u64();
    m.payload = r.bytes(r.u32());
  }
  r.done();
  return p;
}

PublishOk decode_publish_ok(std::span<const std::uint8_t> body) {
  Reader r(body, "PUBLISH_OK");
  const std::uint32_t count = r.u32();
  if (count > r.remaining() / 17) r.fail("count " + std::to_string(count) + " does not fit the body");
  PublishOk p;
  p.confirms.resize(count);
  for (PublishConfirm& c : p.confirms) {
    c.client_seq = r.u64();
    c.message_id = r.u64();
    const std::uint8_t status = r.u8();
    if (status > kLastPublishStatus) r.fail("publish status " + std::to_string(status));
    c.status = static_cast<PublishStatus>(status);
  }
  r.done();
  return p;
}

Pull decode_pull(std::uint16_t flags, std::span<const std::uint8_t> body) {
  Reader r(body, "PULL");
  Pull p;
  p.max_count = r.u32();
  p.wait_ms = r.u32();
  p.return_early = (flags & kPullReturnEarly) != 0;
  r.done();
  return p;
}

Deliver decode_deliver(std::span<const std::uint8_t> body) {
  Reader r(body, "DELIVER");
  Deliver d;
  d.message_id = r.u64();
  d.receipt = r.u64();
  d.receive_count = r.u32();
  d.publish_time = r.u64();
  d.producer_time = r.u64();
  d.key = r.u64();
  d.payload = r.bytes(r.u32());
  r.done();
  return d;
}

PullEnd decode_pull_end(std::span<const std::uint8_t> body) {
  Reader r(body, "PULL_END");
  PullEnd p;
  p.withdrawn = r.u32();
  r.done();
  return p;
}

Receipts decode_receipts(std::span<const std::uint8_t> body) {
  Reader r(body, "ACK/RELEASE");
  const std::uint32_t count = r.u32();
  if (count != r.remaining() / 8 || r.remaining() % 8 != 0) {
    r.fail("count " + std::to_string(count) + " does not match " + std::to_string(r.remaining()) + " bytes");
  }
  Receipts out;
  out.receipts.resize(count);
  for (std::uint64_t& receipt : out.receipts) receipt = r.u64();
  r.done();
  return out;
}

Extend decode_extend(std::span<const std::uint8_t> body) {
  Reader r(body, "EXTEND");
  Extend e;
  e.receipt = r.u64();
  e.timeout_ms = r.u32();
  r.done();
  return e;
}

StatsOk decode_stats_ok(std::span<const std::uint8_t> body) {
  return StatsOk{std::string(reinterpret_cast<const char*>(body.data()), body.size())};
}

}  // namespace qlab::live
