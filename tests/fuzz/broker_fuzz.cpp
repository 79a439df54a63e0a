// libFuzzer target: the broker's frame decoder and state machine (live/protocol.hpp, live/broker_state.hpp)
// driven as up to four connections would drive them. The input is a program: each step picks a connection
// and sends it a well-formed frame built from the next bytes (HELLO, PUBLISH, PULL, ACK, RELEASE, EXTEND,
// STATS), raw bytes as a frame, a clock step or a disconnect. Raw bodies also go through every decode_*.
// Checked: no crash, leak or internal check failure, and every frame the broker sends decodes with the
// protocol's own decoders (so the broker never sends what its clients must refuse).
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "live/broker_state.hpp"
#include "live/protocol.hpp"
#include "queues/design_registry.hpp"

namespace {

using namespace qlab;
using namespace qlab::live;

// The input, consumed front to back; past the end every read gives zeros.
class Program {
 public:
  Program(const std::uint8_t* data, std::size_t size) : bytes_(data, size) {}
  bool done() const { return bytes_.empty(); }
  std::uint8_t u8() {
    if (bytes_.empty()) return 0;
    const std::uint8_t b = bytes_.front();
    bytes_ = bytes_.subspan(1);
    return b;
  }
  std::uint32_t u32() { return std::uint32_t{u8()} | std::uint32_t{u8()} << 8 | std::uint32_t{u8()} << 16 | std::uint32_t{u8()} << 24; }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min(n, bytes_.size());
    const auto part = bytes_.first(n);
    bytes_ = bytes_.subspan(n);
    return part;
  }
  std::string text(std::size_t most) {
    const auto part = take(u8() % (most + 1));
    return std::string(part.begin(), part.end());
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

// Decodes the body of any frame type; ProtocolError is the decoder saying no.
void decode_body(FrameType type, std::uint16_t flags, std::span<const std::uint8_t> body) {
  switch (type) {
    case FrameType::hello: (void)decode_hello(body); break;
    case FrameType::hello_ok: (void)decode_hello_ok(body); break;
    case FrameType::error: (void)decode_error(body); break;
    case FrameType::publish: (void)decode_publish(body); break;
    case FrameType::publish_ok: (void)decode_publish_ok(body); break;
    case FrameType::pull: (void)decode_pull(flags, body); break;
    case FrameType::deliver: (void)decode_deliver(body); break;
    case FrameType::pull_end: (void)decode_pull_end(body); break;
    case FrameType::ack:
    case FrameType::release: (void)decode_receipts(body); break;
    case FrameType::extend: (void)decode_extend(body); break;
    case FrameType::stats: break;
    case FrameType::control: break;  // a JSON order, parsed by the broker itself
    case FrameType::stats_ok: (void)decode_stats_ok(body); break;
  }
}

// A connection: checks every frame the broker sends it and remembers the receipts it was given.
class CheckingPeer : public Peer {
 public:
  void deliver(std::span<const std::uint8_t> frames) override {
    while (!frames.empty()) {
      if (frames.size() < kHeaderSize) __builtin_trap();  // a partial frame
      FrameHeader header;
      try {
        header = decode_header(frames.first<kHeaderSize>());
      } catch (const ProtocolError&) {
        __builtin_trap();  // the broker sent a header its own protocol refuses
      }
      if (frames.size() < kHeaderSize + header.body_length) __builtin_trap();
      const auto body = frames.subspan(kHeaderSize, header.body_length);
      try {
        decode_body(header.type, header.flags, body);
        if (header.type == FrameType::deliver) receipts_.push_back(decode_deliver(body).receipt);
      } catch (const ProtocolError&) {
        __builtin_trap();  // a body its own protocol refuses
      }
      frames = frames.subspan(kHeaderSize + header.body_length);
    }
  }
  std::uint64_t receipt(std::uint8_t pick) const { return receipts_.empty() ? pick : receipts_[pick % receipts_.size()]; }

 private:
  std::vector<std::uint64_t> receipts_;
};

class Harness {
 public:
  Harness(const DesignInfo& design, std::uint64_t seed)
      : state_(design, with_defaults(design, {}), "secret", seed, [](const std::string&) {}) {
    for (std::size_t i = 0; i < peers_.size(); ++i) reopen(i);
  }

  void step(Program& p) {
    const std::uint8_t op = p.u8();
    const std::size_t c = (op >> 4) % peers_.size();
    std::vector<std::uint8_t> frame;
    switch (op % 10) {
      case 0: {
        Hello hello;
        hello.role = static_cast<Role>(p.u8() % 4);  // 0 is not a role
        hello.name = p.text(8);
        hello.token = p.u8() % 4 == 0 ? "wrong" : "secret";
        append_hello(frame, hello);
        break;
      }
      case 1: {
        Publish publish;
        const int n = p.u8() % 4 + 1;
        for (int i = 0; i < n; ++i) publish.messages.push_back({p.u32(), p.u32(), p.u32(), p.text(32)});
        append_publish(frame, publish);
        break;
      }
      case 2: {
        const std::uint8_t wait = p.u8();
        append_pull(frame, Pull{p.u8(), wait == 255 ? kWaitForever : wait * 10u, (wait & 1) != 0});
        break;
      }
      case 3:
      case 4: {
        Receipts receipts;
        const int n = p.u8() % 4;
        for (int i = 0; i < n; ++i) receipts.receipts.push_back(peers_[c]->receipt(p.u8()));
        append_receipts(frame, op % 10 == 3 ? FrameType::ack : FrameType::release, receipts);
        break;
      }
      case 5:
        append_extend(frame, Extend{peers_[c]->receipt(p.u8()), p.u8() * 100u});
        break;
      case 6:
        append_stats(frame);
        break;
      case 7:
        raw_frame(p, c);
        return;
      case 8:
        now_ += Time{p.u8()} * kMillisecond + p.u8();
        if (now_ >= state_.next_deadline()) state_.on_timer(now_);
        return;
      case 9:
        reopen(c);
        return;
    }
    send(c, frame);
  }

 private:
  void reopen(std::size_t c) {
    if (sessions_[c] != 0) state_.close(now_, sessions_[c]);
    peers_[c] = std::make_unique<CheckingPeer>();
    sessions_[c] = state_.open(*peers_[c], "fuzz" + std::to_string(c));
  }

  // A whole frame, as the session code hands it over once decode_header() accepted its header.
  void send(std::size_t c, std::span<const std::uint8_t> frame) {
    FrameHeader header;
    try {
      header = decode_header(frame.first<kHeaderSize>());
    } catch (const ProtocolError&) {
      reopen(c);  // the broker answers with an ERROR and closes
      return;
    }
    if (frame.size() < kHeaderSize + header.body_length) {
      reopen(c);  // the connection ended mid-frame
      return;
    }
    if (state_.on_frame(now_, sessions_[c], header, frame.subspan(kHeaderSize, header.body_length)) == BrokerState::Verdict::close) {
      reopen(c);
    }
  }

  void raw_frame(Program& p, std::size_t c) {
    const auto head = p.take(kHeaderSize);
    std::vector<std::uint8_t> frame(head.begin(), head.end());
    frame.resize(kHeaderSize);
    const std::uint16_t length = static_cast<std::uint16_t>(p.u8() | p.u8() << 8);
    const auto body = p.take(length);
    frame.insert(frame.end(), body.begin(), body.end());
    for (std::uint8_t type = 1; type <= kLastFrameType; ++type) {
      try {
        decode_body(static_cast<FrameType>(type), static_cast<std::uint16_t>(length), body);
      } catch (const ProtocolError&) {
      }
    }
    send(c, frame);
  }

  BrokerState state_;
  Time now_ = 0;
  std::array<std::unique_ptr<CheckingPeer>, 4> peers_;
  std::array<std::uint32_t, 4> sessions_{};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Program program(data, size);
  const auto& all = designs();
  const DesignInfo& design = all[program.u8() % all.size()];
  Harness harness(design, program.u8());
  while (!program.done()) harness.step(program);
  return 0;
}
