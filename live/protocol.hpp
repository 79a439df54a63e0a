#pragma once
// The qlab wire protocol, version 1 (docs/PROTOCOL.md is the normative text; this file follows it).
// Every frame is a 12-byte header followed by a body of at most kMaxBodyLength bytes; all integers are
// little-endian. Encoding and decoding are pure functions over byte buffers: no sockets here, so the
// broker, the C++ client and the tests share them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qlab::live {

inline constexpr std::uint8_t kMagic0 = 'Q';
inline constexpr std::uint8_t kMagic1 = 'L';
inline constexpr std::uint8_t kFrameVersion = 1;      // header byte 2
inline constexpr std::uint16_t kProtocolVersion = 1;  // carried by HELLO / HELLO_OK
inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::uint32_t kMaxBodyLength = 1u << 20;  // 1 MiB
// Until a session's HELLO is accepted, a frame's body may be at most this long (a HELLO with a name and a
// token of up to 2 KiB each): an unauthenticated peer cannot make the broker allocate more.
inline constexpr std::uint32_t kMaxHelloBodyLength = 4096;
// The fixed fields of a DELIVER body before the payload's bytes.
inline constexpr std::uint32_t kDeliverOverhead = 48;
// The largest payload a PUBLISH may carry: its DELIVER frame must fit kMaxBodyLength.
inline constexpr std::uint32_t kMaxPayloadLength = kMaxBodyLength - kDeliverOverhead;
inline constexpr std::uint32_t kWaitForever = 0xFFFFFFFFu;  // PULL wait_ms: the credit never times out

enum class FrameType : std::uint8_t {
  hello = 1,       // client -> broker, first frame
  hello_ok = 2,    // broker -> client
  error = 3,       // broker -> client
  publish = 4,     // producer -> broker
  publish_ok = 5,  // broker -> producer
  pull = 6,        // consumer -> broker
  deliver = 7,     // broker -> consumer
  pull_end = 8,    // broker -> consumer: open credit withdrawn
  ack = 9,         // consumer -> broker
  release = 10,    // consumer -> broker (nack)
  extend = 11,     // consumer -> broker
  stats = 12,      // any -> broker
  stats_ok = 13,   // broker -> client
  control = 14,    // admin -> broker: an order as JSON (a broker-node fault); answered with STATS_OK
};
inline constexpr std::uint8_t kLastFrameType = 14;

// Flags of a PULL frame's header.
inline constexpr std::uint16_t kPullReturnEarly = 0x0001;

enum class Role : std::uint8_t { producer = 1, consumer = 2, admin = 3 };

enum class ErrorCode : std::uint16_t {
  bad_magic = 1,
  unsupported_version = 2,
  unknown_type = 3,
  frame_too_large = 4,
  malformed = 5,          // the body does not parse as its type says
  hello_required = 6,     // the first frame was not HELLO, or HELLO came twice
  auth_failed = 7,
  wrong_role = 8,         // e.g. a producer sent PULL
  stale_receipt = 9,      // non-fatal: ACK/RELEASE/EXTEND named a receipt that is no longer current
  name_in_use = 10,       // a consumer with that name is connected
  shutting_down = 11,
  bad_request = 12,       // well-formed but not acceptable (e.g. PULL of 0 messages)
  timed_out = 13,         // no HELLO within the handshake timeout, or idle beyond the idle timeout
  too_many_connections = 14,  // the broker holds --max-connections connections
};

std::string_view role_name(Role role);
std::string_view frame_type_name(FrameType type);
std::string_view error_code_name(ErrorCode code);

// A frame or body that cannot be accepted; `code` is what goes into the ERROR frame.
struct ProtocolError : std::runtime_error {
  ProtocolError(ErrorCode error_code, const std::string& text) : std::runtime_error(text), code(error_code) {}
  ErrorCode code;
};

struct FrameHeader {
  FrameType type = FrameType::hello;
  std::uint16_t flags = 0;
  std::uint32_t body_length = 0;
};

// Decodes the kHeaderSize bytes at `bytes`. Says no (ProtocolError) to a bad magic, an unknown frame
// version, an unknown type or a body longer than kMaxBodyLength.
FrameHeader decode_header(std::span<const std::uint8_t, kHeaderSize> bytes);

// ---- bodies --------------------------------------------------------------------------------------

struct Hello {
  std::uint16_t protocol_version = kProtocolVersion;
  Role role = Role::producer;
  std::string name;   // may be empty; a consumer's name identifies it across reconnects
  std::string token;  // empty when the broker has none
};

struct HelloOk {
  std::uint16_t protocol_version = kProtocolVersion;
  std::uint32_t session_id = 0;
  std::uint32_t consumer_id = 0xFFFFFFFFu;  // consumers only
  std::uint32_t max_body_length = kMaxBodyLength;
  std::string design;
};

struct Error {
  ErrorCode code = ErrorCode::malformed;
  bool fatal = true;       // the broker closes the connection after this frame
  std::uint64_t ref = 0;   // the receipt concerned (stale_receipt), else 0
  std::string text;
};

struct PublishItem {
  std::uint64_t client_seq = 0;
  std::uint64_t key = 0;
  std::uint64_t producer_time = 0;  // opaque to the broker, echoed in DELIVER
  std::string payload;
};

struct Publish {
  std::vector<PublishItem> messages;
};

enum class PublishStatus : std::uint8_t {
  accepted = 0,  // the queue holds the message
  refused = 1,   // not accepted (e.g. a replicated design without a leader); message_id is 0
  too_large = 2,   // the payload exceeds kMaxPayloadLength; message_id is 0
  queue_full = 3,  // the broker holds --max-queue-bytes; message_id is 0 (retry after consumers drain)
};
inline constexpr std::uint8_t kLastPublishStatus = 3;
std::string_view publish_status_name(PublishStatus status);

struct PublishConfirm {
  std::uint64_t client_seq = 0;
  std::uint64_t message_id = 0;
  PublishStatus status = PublishStatus::accepted;
};

struct PublishOk {
  std::vector<PublishConfirm> confirms;
};

struct Pull {
  std::uint32_t max_count = 1;
  std::uint32_t wait_ms = kWaitForever;
  bool return_early = false;  // header flag kPullReturnEarly
};

struct Deliver {
  std::uint64_t message_id = 0;
  std::uint64_t receipt = 0;
  std::uint32_t receive_count = 0;
  std::uint64_t publish_time = 0;   // broker clock: ns since broker start, when the broker accepted it
  std::uint64_t producer_time = 0;  // as the producer sent it
  std::uint64_t key = 0;
  std::string payload;
};

struct PullEnd {
  std::uint32_t withdrawn = 0;  // credit that was open and is no longer
};

struct Receipts {  // ACK and RELEASE
  std::vector<std::uint64_t> receipts;
};

struct Extend {
  std::uint64_t receipt = 0;
  std::uint32_t timeout_ms = 0;
};

struct StatsOk {
  std::string json;
};

// Each append_* writes one whole frame (header and body) at the end of `out`.
void append_hello(std::vector<std::uint8_t>& out, const Hello& body);
void append_hello_ok(std::vector<std::uint8_t>& out, const HelloOk& body);
void append_error(std::vector<std::uint8_t>& out, const Error& body);
void append_publish(std::vector<std::uint8_t>& out, const Publish& body);
void append_publish_ok(std::vector<std::uint8_t>& out, const PublishOk& body);
void append_pull(std::vector<std::uint8_t>& out, const Pull& body);
void append_deliver(std::vector<std::uint8_t>& out, const Deliver& body);
// Same frame as append_deliver, without building a Deliver (the broker's hot path).
void append_deliver(std::vector<std::uint8_t>& out, std::uint64_t message_id, std::uint64_t receipt,
                    std::uint32_t receive_count, std::uint64_t publish_time, std::uint64_t producer_time,
                    std::uint64_t key, std::string_view payload);
void append_pull_end(std::vector<std::uint8_t>& out, const PullEnd& body);
void append_receipts(std::vector<std::uint8_t>& out, FrameType type, const Receipts& body);  // ack | release
void append_extend(std::vector<std::uint8_t>& out, const Extend& body);
void append_stats(std::vector<std::uint8_t>& out);
void append_control(std::vector<std::uint8_t>& out, const std::string& json);
void append_stats_ok(std::vector<std::uint8_t>& out, const StatsOk& body);

// Each decode_* parses one body (without its header) and throws ProtocolError(malformed) when the body is
// short, long or inconsistent.
Hello decode_hello(std::span<const std::uint8_t> body);
HelloOk decode_hello_ok(std::span<const std::uint8_t> body);
Error decode_error(std::span<const std::uint8_t> body);
Publish decode_publish(std::span<const std::uint8_t> body);
PublishOk decode_publish_ok(std::span<const std::uint8_t> body);
Pull decode_pull(std::uint16_t flags, std::span<const std::uint8_t> body);
Deliver decode_deliver(std::span<const std::uint8_t> body);
PullEnd decode_pull_end(std::span<const std::uint8_t> body);
Receipts decode_receipts(std::span<const std::uint8_t> body);
Extend decode_extend(std::span<const std::uint8_t> body);
StatsOk decode_stats_ok(std::span<const std::uint8_t> body);

}  // namespace qlab::live
