#include "live/protocol.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace qlab::live {
namespace {

std::span<const std::uint8_t, kHeaderSize> header_of(const std::vector<std::uint8_t>& frame) {
  return std::span<const std::uint8_t, kHeaderSize>(frame.data(), kHeaderSize);
}

std::span<const std::uint8_t> body_of(const std::vector<std::uint8_t>& frame) {
  return std::span<const std::uint8_t>(frame).subspan(kHeaderSize);
}

ErrorCode refusal_of(const std::array<std::uint8_t, kHeaderSize>& bytes) {
  try {
    decode_header(bytes);
  } catch (const ProtocolError& e) {
    return e.code;
  }
  ADD_FAILURE() << "decode_header accepted a header it should refuse";
  return ErrorCode::malformed;
}

TEST(Protocol, HelloIsEncodedExactlyAsPROTOCOLmdShowsIt) {
  std::vector<std::uint8_t> frame;
  append_hello(frame, Hello{1, Role::consumer, "c1", "s"});
  const std::vector<std::uint8_t> expected = {'Q', 'L', 1, 1, 0, 0, 0, 0, 11, 0, 0, 0,  // header: HELLO, 11-byte body
                                              1, 0, 2, 0, 2, 0, 'c', '1', 1, 0, 's'};
  EXPECT_EQ(frame, expected);
}

TEST(Protocol, HeaderCarriesTypeFlagsAndBodyLength) {
  std::vector<std::uint8_t> frame;
  append_pull(frame, Pull{7, 250, true});
  const FrameHeader header = decode_header(header_of(frame));
  EXPECT_EQ(header.type, FrameType::pull);
  EXPECT_EQ(header.flags, kPullReturnEarly);
  EXPECT_EQ(header.body_length, frame.size() - kHeaderSize);
  const Pull pull = decode_pull(header.flags, body_of(frame));
  EXPECT_EQ(pull.max_count, 7u);
  EXPECT_EQ(pull.wait_ms, 250u);
  EXPECT_TRUE(pull.return_early);
}

TEST(Protocol, DecodeHeaderRefusesBadMagicVersionTypeAndLength) {
  std::array<std::uint8_t, kHeaderSize> good = {'Q', 'L', 1, 12, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_NO_THROW(decode_header(good));
  auto bad = good;
  bad[0] = 'G';
  EXPECT_EQ(refusal_of(bad), ErrorCode::bad_magic);
  bad = good;
  bad[2] = 2;
  EXPECT_EQ(refusal_of(bad), ErrorCode::unsupported_version);
  bad = good;
  bad[3] = 0;
  EXPECT_EQ(refusal_of(bad), ErrorCode::unknown_type);
  bad[3] = kLastFrameType + 1;
  EXPECT_EQ(refusal_of(bad), ErrorCode::unknown_type);
  bad = good;
  bad[8] = 1;
  bad[10] = 0x10;  // 1 MiB + 1
  EXPECT_EQ(refusal_of(bad), ErrorCode::frame_too_large);
  bad[8] = 0;  // exactly 1 MiB is allowed
  EXPECT_NO_THROW(decode_header(bad));
}

TEST(Protocol, HelloAndHelloOkRoundTrip) {
  std::vector<std::uint8_t> frame;
  append_hello(frame, Hello{1, Role::admin, "ops", "token"});
  const Hello hello = decode_hello(body_of(frame));
  EXPECT_EQ(hello.role, Role::admin);
  EXPECT_EQ(hello.name, "ops");
  EXPECT_EQ(hello.token, "token");

  frame.clear();
  append_hello_ok(frame, HelloOk{1, 9, 3, kMaxBodyLength, "visibility_timeout"});
  const HelloOk ok = decode_hello_ok(body_of(frame));
  EXPECT_EQ(ok.session_id, 9u);
  EXPECT_EQ(ok.consumer_id, 3u);
  EXPECT_EQ(ok.max_body_length, kMaxBodyLength);
  EXPECT_EQ(ok.design, "visibility_timeout");
}

TEST(Protocol, PublishAndConfirmRoundTripWithBinaryPayloads) {
  Publish publish;
  publish.messages.push_back({1, 42, 1000, std::string("a\0b", 3)});
  publish.messages.push_back({2, 43, 1001, ""});
  std::vector<std::uint8_t> frame;
  append_publish(frame, publish);
  const Publish back = decode_publish(body_of(frame));
  ASSERT_EQ(back.messages.size(), 2u);
  EXPECT_EQ(back.messages[0].payload, std::string("a\0b", 3));
  EXPECT_EQ(back.messages[0].key, 42u);
  EXPECT_EQ(back.messages[1].client_seq, 2u);
  EXPECT_EQ(back.messages[1].producer_time, 1001u);

  frame.clear();
  append_publish_ok(frame, PublishOk{{{1, 100, PublishStatus::accepted}, {2, 0, PublishStatus::refused}}});
  const PublishOk ok = decode_publish_ok(body_of(frame));
  ASSERT_EQ(ok.confirms.size(), 2u);
  EXPECT_EQ(ok.confirms[0].message_id, 100u);
  EXPECT_EQ(ok.confirms[1].status, PublishStatus::refused);
}

TEST(Protocol, DeliverPullEndReceiptsExtendErrorAndStatsRoundTrip) {
  std::vector<std::uint8_t> frame;
  append_deliver(frame, Deliver{5, 77, 2, 123456789, 987654321, 11, "payload"});
  const Deliver d = decode_deliver(body_of(frame));
  EXPECT_EQ(d.message_id, 5u);
  EXPECT_EQ(d.receipt, 77u);
  EXPECT_EQ(d.receive_count, 2u);
  EXPECT_EQ(d.publish_time, 123456789u);
  EXPECT_EQ(d.producer_time, 987654321u);
  EXPECT_EQ(d.key, 11u);
  EXPECT_EQ(d.payload, "payload");

  frame.clear();
  append_pull_end(frame, PullEnd{4});
  EXPECT_EQ(decode_pull_end(body_of(frame)).withdrawn, 4u);

  frame.clear();
  append_receipts(frame, FrameType::release, Receipts{{1, 2, 0xFFFFFFFFFFFFFFFFull}});
  EXPECT_EQ(decode_header(header_of(frame)).type, FrameType::release);
  EXPECT_EQ(decode_receipts(body_of(frame)).receipts.back(), 0xFFFFFFFFFFFFFFFFull);

  frame.clear();
  append_extend(frame, Extend{9, 30000});
  EXPECT_EQ(decode_extend(body_of(frame)).timeout_ms, 30000u);

  frame.clear();
  append_error(frame, Error{ErrorCode::stale_receipt, false, 9, "gone"});
  const Error e = decode_error(body_of(frame));
  EXPECT_EQ(e.code, ErrorCode::stale_receipt);
  EXPECT_FALSE(e.fatal);
  EXPECT_EQ(e.ref, 9u);
  EXPECT_EQ(e.text, "gone");

  frame.clear();
  append_stats_ok(frame, StatsOk{R"({"published":1})"});
  EXPECT_EQ(decode_stats_ok(body_of(frame)).json, R"({"published":1})");
}

TEST(Protocol, MalformedBodiesAreRefused) {
  std::vector<std::uint8_t> frame;
  append_publish(frame, Publish{{{1, 2, 3, "hello"}}});
  std::vector<std::uint8_t> body(frame.begin() + kHeaderSize, frame.end());
  std::vector<std::uint8_t> truncated(body.begin(), body.end() - 1);
  EXPECT_THROW(decode_publish(truncated), ProtocolError);
  std::vector<std::uint8_t> trailing = body;
  trailing.push_back(0);
  EXPECT_THROW(decode_publish(trailing), ProtocolError);
  std::vector<std::uint8_t> huge_count = body;
  huge_count[3] = 0x7F;  // count ~2e9 in a 37-byte body
  EXPECT_THROW(decode_publish(huge_count), ProtocolError);
  const std::vector<std::uint8_t> empty_batch = {0, 0, 0, 0};
  EXPECT_THROW(decode_publish(empty_batch), ProtocolError);
  const std::vector<std::uint8_t> bad_role = {1, 0, 9, 0, 0, 0, 0, 0};
  EXPECT_THROW(decode_hello(bad_role), ProtocolError);
  const std::vector<std::uint8_t> short_ack = {2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_THROW(decode_receipts(short_ack), ProtocolError);
  try {
    decode_pull(0, std::vector<std::uint8_t>{1, 0, 0});
    FAIL();
  } catch (const ProtocolError& error) {
    EXPECT_EQ(error.code, ErrorCode::malformed);
    EXPECT_NE(std::string(error.what()).find("PULL"), std::string::npos);
  }
}

}  // namespace
}  // namespace qlab::live
