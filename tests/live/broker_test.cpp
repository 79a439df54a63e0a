// The broker end to end on loopback: an in-process broker on an ephemeral port, real sockets, real time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "live_test_support.hpp"

namespace qlab::live {
namespace {

using testing::RawConnection;
using testing::TestBroker;
using std::chrono::milliseconds;

BrokerConfig config_for(const std::string& design, const std::vector<std::string>& settings = {}) {
  BrokerConfig config;
  config.design = design;
  const DesignInfo* info = find_design(design);
  for (const std::string& s : settings) apply_design_setting(*info, config.params, s);
  return config;
}

std::string payload(const std::string& prefix, std::uint64_t i, std::size_t size = 0) {
  std::string text = prefix + "-" + std::to_string(i);
  if (text.size() < size) text.resize(size, '.');
  return text;
}

// Publishes messages prefix-0 .. prefix-(count-1) in batches; returns their message ids.
std::vector<std::uint64_t> publish(Client& producer, const std::string& prefix, std::uint64_t count,
                                   std::size_t batch = 100, std::size_t size = 0) {
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = 0; i < count;) {
    Publish p;
    for (; i < count && p.messages.size() < batch; ++i) p.messages.push_back({i, i, 0, payload(prefix, i, size)});
    const std::vector<std::uint64_t> got = producer.publish(p);
    ids.insert(ids.end(), got.begin(), got.end());
  }
  return ids;
}

// Receives until `count` distinct messages came (acking each unless told not to); message id -> payload.
std::map<std::uint64_t, std::string> consume(Client& consumer, std::size_t count, bool ack = true,
                                             std::uint32_t batch = 100) {
  std::map<std::uint64_t, std::string> got;
  while (got.size() < count) {
    const std::vector<Deliver> deliveries = consumer.receive(batch, 10'000);
    if (deliveries.empty()) {
      ADD_FAILURE() << "no delivery within 10 s; have " << got.size() << " of " << count;
      break;
    }
    std::vector<std::uint64_t> receipts;
    for (const Deliver& d : deliveries) {
      got.emplace(d.message_id, d.payload);
      receipts.push_back(d.receipt);
    }
    if (ack) consumer.ack(receipts);
  }
  return got;
}

// Waits until the broker's stats satisfy `done` (each check is a STATS round trip).
nlohmann::json wait_for_stats(Client& client, const std::function<bool(const nlohmann::json&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  nlohmann::json stats = client.stats();
  while (!done(stats) && std::chrono::steady_clock::now() < deadline) stats = client.stats();
  return stats;
}

bool nothing_held(const nlohmann::json& s) { return s["held"] == 0 && s["stored"] == 0; }

TEST(Broker, EveryPublishedMessageIsConsumedAndAckedOnce) {
  TestBroker broker(config_for("visibility_timeout"));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  constexpr std::uint64_t kCount = 20'000;
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::uint64_t> ids = publish(producer, "m", kCount);
  const auto got = consume(consumer, kCount);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  %llu messages published, delivered and acked in %.3f s: %.0f msg/s (sequential, one thread)\n",
              static_cast<unsigned long long>(kCount), seconds, static_cast<double>(kCount) / seconds);
  EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()).size(), kCount);
  ASSERT_EQ(got.size(), kCount);
  for (std::size_t i = 0; i < kCount; ++i) EXPECT_EQ(got.at(ids[i]), payload("m", i));
  const nlohmann::json stats = wait_for_stats(consumer, nothing_held);
  EXPECT_EQ(stats["published"], kCount);
  EXPECT_EQ(stats["acked"], kCount);
  EXPECT_EQ(stats["redeliveries"], 0);
  EXPECT_EQ(stats["held"], 0);
  EXPECT_EQ(stats["stored"], 0);
}

TEST(Broker, PullDesignHandsMessagesOverWithoutAcks) {
  TestBroker broker(config_for("pull"));
  Client producer = broker.connect(Role::producer);
  Client consumer = broker.connect(Role::consumer);
  publish(producer, "x", 500);
  EXPECT_EQ(consume(consumer, 500, false).size(), 500u);
  const nlohmann::json stats = wait_for_stats(consumer, nothing_held);
  EXPECT_EQ(stats["handed_over"], 500);
  EXPECT_EQ(stats["stored"], 0);
}

TEST(Broker, ALongPollWithNothingToDeliverEndsWithPullEnd) {
  TestBroker broker(config_for("visibility_timeout"));
  Client consumer = broker.connect(Role::consumer);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(consumer.receive(10, 100).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(100));
  EXPECT_TRUE(consumer.receive(10, 0).empty());  // wait 0: an immediate answer
}

TEST(Broker, ALongPollIsAnsweredAsSoonAsAMessageIsPublished) {
  TestBroker broker(config_for("visibility_timeout"));
  Client consumer = broker.connect(Role::consumer);
  consumer.send_pull(Pull{5, 30'000, true});
  Client producer = broker.connect(Role::producer);
  consumer.stats();  // the PULL is registered before the publish
  publish(producer, "late", 1);
  std::optional<Frame> frame = consumer.read_frame(milliseconds(10'000));
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->header.type, FrameType::deliver);
  EXPECT_EQ(decode_deliver(frame->body).payload, "late-0");
  frame = consumer.read_frame(milliseconds(10'000));  // return_early: the rest of the credit is withdrawn
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->header.type, FrameType::pull_end);
  EXPECT_EQ(decode_pull_end(frame->body).withdrawn, 4u);
}

TEST(Broker, MessagesOfAConsumerThatDisconnectsUnackedAreRedeliveredAfterTheVisibilityTimeout) {
  TestBroker broker(config_for("visibility_timeout", {"queue.visibility_timeout=300ms"}));
  Client producer = broker.connect(Role::producer);
  publish(producer, "v", 10);
  {
    Client first = broker.connect(Role::consumer, "first");
    EXPECT_EQ(consume(first, 10, false).size(), 10u);
  }  // disconnects holding 10 unacked messages
  Client second = broker.connect(Role::consumer, "second");
  const auto start = std::chrono::steady_clock::now();
  std::vector<Deliver> got;
  while (got.size() < 10) {
    const std::vector<Deliver> more = second.receive(10, 10'000);
    ASSERT_FALSE(more.empty());
    got.insert(got.end(), more.begin(), more.end());
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(200));
  std::vector<std::uint64_t> receipts;
  for (const Deliver& d : got) {
    EXPECT_EQ(d.receive_count, 2u);
    receipts.push_back(d.receipt);
  }
  second.ack(receipts);
  const nlohmann::json stats = wait_for_stats(second, nothing_held);
  EXPECT_EQ(stats["redeliveries"], 10);
  EXPECT_EQ(stats["acked"], 10);
}

TEST(Broker, ReleaseOnDisconnectRedeliversAtOnce) {
  TestBroker broker(config_for("visibility_timeout", {"visibility_timeout=1h", "release_on_disconnect=true"}));
  Client producer = broker.connect(Role::producer);
  publish(producer, "r", 3);
  {
    Client first = broker.connect(Role::consumer);
    EXPECT_EQ(consume(first, 3, false).size(), 3u);
  }
  Client second = broker.connect(Role::consumer);
  EXPECT_EQ(consume(second, 3).size(), 3u);
}

TEST(Broker, ReleaseExtendAndStaleAcks) {
  TestBroker broker(config_for("visibility_timeout", {"visibility_timeout=1h"}));
  Client producer = broker.connect(Role::producer);
  Client consumer = broker.connect(Role::consumer);
  publish(producer, "n", 1);
  std::vector<Deliver> first = consumer.receive(1, 10'000);
  ASSERT_EQ(first.size(), 1u);
  consumer.extend(first[0].receipt, 60'000);
  consumer.release({first[0].receipt});  // nack: visible again at once
  std::vector<Deliver> second = consumer.receive(1, 10'000);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].message_id, first[0].message_id);
  EXPECT_EQ(second[0].receive_count, 2u);
  consumer.ack({first[0].receipt});  // stale: the message was received again since
  consumer.ack({second[0].receipt});
  const nlohmann::json stats = wait_for_stats(consumer, nothing_held);
  EXPECT_EQ(stats["stale_refused"], 1);
  ASSERT_EQ(consumer.warnings.size(), 1u);
  EXPECT_EQ(consumer.warnings[0].code, ErrorCode::stale_receipt);
  EXPECT_EQ(consumer.warnings[0].ref, first[0].receipt);
}

TEST(Broker, AConsumerNameCannotBeUsedTwiceAtOnce) {
  TestBroker broker(config_for("visibility_timeout"));
  Client one = broker.connect(Role::consumer, "same");
  try {
    Client two = broker.connect(Role::consumer, "same");
    FAIL() << "a second consumer with the same name was accepted";
  } catch (const ClientError& e) {
    ASSERT_TRUE(e.error);
    EXPECT_EQ(e.error->code, ErrorCode::name_in_use);
  }
}

TEST(Broker, ProducersCannotPull) {
  TestBroker broker(config_for("pull"));
  Client producer = broker.connect(Role::producer);
  try {
    producer.receive(1, 0);
    FAIL();
  } catch (const ClientError& e) {
    ASSERT_TRUE(e.error);
    EXPECT_EQ(e.error->code, ErrorCode::wrong_role);
  }
}

TEST(Broker, DesignSettingsAreCheckedAgainstTheRegistry) {
  const DesignInfo& vt = *find_design("visibility_timeout");
  DesignParams params;
  EXPECT_THROW(apply_design_setting(vt, params, "queue.visibility_timeout=30"), std::invalid_argument);
  EXPECT_THROW(apply_design_setting(vt, params, "queue.nope=1"), std::invalid_argument);
  EXPECT_THROW(apply_design_setting(vt, params, "stale_ack=maybe"), std::invalid_argument);
  apply_design_setting(vt, params, "queue.visibility_timeout=2s");
  EXPECT_EQ(std::get<std::int64_t>(params.at("visibility_timeout")), 2 * kSecond);
}

// ---- robustness: a misbehaving client gets an ERROR and/or a close, with a log line naming it, while a
// producer and a consumer around it keep being served and lose nothing.

class Robustness : public ::testing::Test {
 protected:
  Robustness()
      : broker_(make_config()),
        producer_(broker_.connect(Role::producer, "good-producer", "secret")),
        consumer_(broker_.connect(Role::consumer, "good-consumer", "secret")) {}

  static BrokerConfig make_config() {
    BrokerConfig config = config_for("visibility_timeout", {"visibility_timeout=300ms"});
    config.token = "secret";
    config.max_write_queue = 256 * 1024;
    return config;
  }

  // Half the messages before the bad client, half after; the good consumer gets and acks all of them.
  void expect_good_clients_served(const std::function<void()>& misbehave) {
    const std::vector<std::uint64_t> before = publish(producer_, "before", 200);
    const auto got_before = consume(consumer_, 100);
    misbehave();
    const std::vector<std::uint64_t> after = publish(producer_, "after", 200);
    auto got = consume(consumer_, 300);
    got.insert(got_before.begin(), got_before.end());
    EXPECT_EQ(got.size(), 400u);
    const nlohmann::json stats = wait_for_stats(consumer_, nothing_held);
    EXPECT_EQ(stats["published"], 400);
    EXPECT_EQ(stats["acked"], 400);
    EXPECT_EQ(stats["held"], 0);
  }

  Error expect_error_and_close(RawConnection& raw) {
    std::vector<std::uint8_t> bytes;
    EXPECT_TRUE(raw.read_until_closed(bytes)) << "the broker did not close the connection";
    return RawConnection::first_error(bytes);
  }

  std::vector<std::uint8_t> hello_frame(const std::string& token) {
    std::vector<std::uint8_t> frame;
    append_hello(frame, Hello{kProtocolVersion, Role::producer, "bad", token});
    return frame;
  }

  TestBroker broker_;
  Client producer_;
  Client consumer_;
};

TEST_F(Robustness, GarbageBytesGetBadMagic) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(expect_error_and_close(raw).code, ErrorCode::bad_magic);
    EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "bad_magic"})) << broker_.log_text();
  });
}

TEST_F(Robustness, AConsumerNameThatIsNotUtf8StillGetsStats) {
  // Found by the broker fuzzer: STATS lists consumers by name, and a name is the client's bytes.
  expect_good_clients_served([&] {
    Client odd = broker_.connect(Role::consumer, "\xbf\xfe", "secret");
    const nlohmann::json stats = odd.stats();
    EXPECT_TRUE(stats["idle_with_backlog"].contains("\xef\xbf\xbd\xef\xbf\xbd"));  // U+FFFD twice
  });
}

TEST_F(Robustness, ACorruptControlOrderIsRefusedAndOnlyClosesThatConnection) {
  expect_good_clients_served([&] {
    Client admin = broker_.connect(Role::admin, "admin", "secret");
    try {
      admin.control({{"op", 7}});
      ADD_FAILURE() << "a CONTROL op that is not a string was accepted";
    } catch (const ClientError& e) {
      ASSERT_TRUE(e.error.has_value()) << e.what();
      EXPECT_EQ(e.error->code, ErrorCode::malformed);
    }
    Client single = broker_.connect(Role::admin, "admin2", "secret");
    try {
      single.control({{"op", "crash_node"}, {"node", 0}});  // a single-node design crashes with its process
      ADD_FAILURE() << "crash_node on a single-node design was accepted";
    } catch (const ClientError& e) {
      ASSERT_TRUE(e.error.has_value()) << e.what();
      EXPECT_EQ(e.error->code, ErrorCode::bad_request);
    }
  });
}

TEST_F(Robustness, ATruncatedFrameFollowedByCloseIsLogged) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    std::vector<std::uint8_t> frame = hello_frame("secret");
    frame.resize(frame.size() - 3);
    raw.send(frame);
    raw.close();
    EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "closed mid-frame"})) << broker_.log_text();
  });
}

TEST_F(Robustness, AnOversizedFrameIsRefused) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    std::vector<std::uint8_t> header = {'Q', 'L', 1, 4, 0, 0, 0, 0, 0, 0, 0x20, 0};  // PUBLISH of 2 MiB
    raw.send(header);
    EXPECT_EQ(expect_error_and_close(raw).code, ErrorCode::frame_too_large);
    EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "frame_too_large"})) << broker_.log_text();
  });
}

TEST_F(Robustness, AWrongTokenIsRefused) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    raw.send(hello_frame("guess"));
    EXPECT_EQ(expect_error_and_close(raw).code, ErrorCode::auth_failed);
    EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "auth_failed", "wrong token"})) << broker_.log_text();
  });
}

TEST_F(Robustness, AnUnknownFrameTypeIsRefused) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    raw.send(hello_frame("secret"));
    raw.send(std::vector<std::uint8_t>{'Q', 'L', 1, 99, 0, 0, 0, 0, 0, 0, 0, 0});
    std::vector<std::uint8_t> bytes;
    EXPECT_TRUE(raw.read_until_closed(bytes));
    // HELLO_OK first, then the ERROR.
    ASSERT_GT(bytes.size(), kHeaderSize);
    const FrameHeader first = decode_header(std::span<const std::uint8_t, kHeaderSize>(bytes.data(), kHeaderSize));
    EXPECT_EQ(first.type, FrameType::hello_ok);
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + first.body_length));
    EXPECT_EQ(RawConnection::first_error(bytes).code, ErrorCode::unknown_type);
    EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "unknown_type"})) << broker_.log_text();
  });
}

TEST_F(Robustness, AFrameBeforeHelloIsRefused) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    std::vector<std::uint8_t> frame;
    append_stats(frame);
    raw.send(frame);
    EXPECT_EQ(expect_error_and_close(raw).code, ErrorCode::hello_required);
  });
}

TEST_F(Robustness, AConsumerThatStopsReadingIsDisconnectedAndItsMessagesRedelivered) {
  // The slow consumer asks for everything and never reads; 2 MB of 1 KiB messages overflow its socket
  // buffers and then the broker's 256 KiB write queue.
  RawConnection slow(broker_.port(), 4096);
  std::vector<std::uint8_t> frames;
  append_hello(frames, Hello{kProtocolVersion, Role::consumer, "slow", "secret"});
  append_pull(frames, Pull{1'000'000, kWaitForever, false});
  slow.send(frames);
  consumer_.stats();  // orders: the slow consumer's PULL is in before the messages
  wait_for_stats(consumer_, [](const nlohmann::json& s) { return s["consumers"] == 2; });
  constexpr std::uint64_t kCount = 2000;
  publish(producer_, "big", kCount, 100, 1024);
  EXPECT_TRUE(broker_.wait_for_log({"127.0.0.1:", "not reading; disconnecting"})) << broker_.log_text();
  // Everything, including what the slow consumer was sent, reaches the good consumer.
  EXPECT_EQ(consume(consumer_, kCount).size(), kCount);
  const nlohmann::json stats = wait_for_stats(consumer_, nothing_held);
  EXPECT_EQ(stats["slow_reader_disconnects"], 1);
  EXPECT_EQ(stats["acked"], kCount);
  EXPECT_EQ(stats["held"], 0);
}

TEST_F(Robustness, ALargeBodyBeforeHelloIsRefusedBeforeItIsRead) {
  expect_good_clients_served([&] {
    RawConnection raw(broker_.port());
    // A PUBLISH header announcing 64 KiB, and nothing more: refused on the header alone.
    raw.send(std::vector<std::uint8_t>{'Q', 'L', 1, 4, 0, 0, 0, 0, 0, 0, 1, 0});
    EXPECT_EQ(expect_error_and_close(raw).code, ErrorCode::frame_too_large);
    EXPECT_TRUE(broker_.wait_for_log({"before HELLO was accepted"})) << broker_.log_text();
  });
}

// ---- limits: connections, timeouts, payload size, queue memory (docs/SECURITY.md)

TEST(Limits, AConnectionOverTheCapGetsTooManyConnectionsAndTheCapFreesWithTheOthers) {
  BrokerConfig config = config_for("visibility_timeout");
  config.max_connections = 2;
  TestBroker broker(std::move(config));
  Client producer = broker.connect(Role::producer, "p");
  auto consumer = std::make_unique<Client>(broker.connect(Role::consumer, "c"));
  RawConnection third(broker.port());
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(third.read_until_closed(bytes));
  EXPECT_EQ(RawConnection::first_error(bytes).code, ErrorCode::too_many_connections);
  EXPECT_TRUE(broker.wait_for_log({"refused 1 connection(s)", "--max-connections"})) << broker.log_text();
  EXPECT_EQ(publish(producer, "m", 10).size(), 10u);  // the connections held are still served
  consumer.reset();
  // Once the consumer's close is seen, a new connection is admitted.
  std::optional<Client> again;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!again && std::chrono::steady_clock::now() < deadline) {
    try {
      again.emplace(broker.connect(Role::consumer, "c"));
    } catch (const ClientError&) {
    }
  }
  ASSERT_TRUE(again) << broker.log_text();
  EXPECT_EQ(consume(*again, 10).size(), 10u);
  EXPECT_GE(again->stats()["connections_refused"].get<int>(), 1);
}

TEST(Limits, AConnectionWithoutHelloIsClosedAfterTheHandshakeTimeout) {
  BrokerConfig config = config_for("visibility_timeout");
  config.handshake_timeout = 200 * kMillisecond;
  TestBroker broker(std::move(config));
  Client producer = broker.connect(Role::producer, "p");
  RawConnection silent(broker.port());
  RawConnection half(broker.port());
  std::vector<std::uint8_t> hello;
  append_hello(hello, Hello{kProtocolVersion, Role::producer, "half", ""});
  hello.resize(hello.size() - 2);
  half.send(hello);
  for (RawConnection* raw : {&silent, &half}) {
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(raw->read_until_closed(bytes));
    const Error error = RawConnection::first_error(bytes);
    EXPECT_EQ(error.code, ErrorCode::timed_out);
    EXPECT_NE(error.text.find("no HELLO within 200ms"), std::string::npos) << error.text;
  }
  EXPECT_EQ(publish(producer, "m", 5).size(), 5u);  // greeted before the timeout: kept
  EXPECT_EQ(producer.stats()["timeouts"], 2);
}

TEST(Limits, AnIdleProducerIsClosedButAConsumerWaitingOnCreditIsNot) {
  BrokerConfig config = config_for("visibility_timeout");
  config.idle_timeout = 300 * kMillisecond;
  TestBroker broker(std::move(config));
  Client waiting = broker.connect(Role::consumer, "waiting");
  waiting.send_pull(Pull{1, kWaitForever, false});
  RawConnection idle(broker.port());
  std::vector<std::uint8_t> hello;
  append_hello(hello, Hello{kProtocolVersion, Role::producer, "idle", ""});
  idle.send(hello);
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(idle.read_until_closed(bytes));  // HELLO_OK, then the ERROR
  const FrameHeader first = decode_header(std::span<const std::uint8_t, kHeaderSize>(bytes.data(), kHeaderSize));
  ASSERT_EQ(first.type, FrameType::hello_ok);
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kHeaderSize + first.body_length));
  EXPECT_EQ(RawConnection::first_error(bytes).code, ErrorCode::timed_out);
  EXPECT_TRUE(broker.wait_for_log({"idle for 300ms with nothing in flight"})) << broker.log_text();
  // The consumer, though silent as long, holds open credit: it is still served.
  Client producer = broker.connect(Role::producer, "p");
  publish(producer, "m", 1);
  std::optional<Frame> frame = waiting.read_frame(std::chrono::seconds(10));
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->header.type, FrameType::deliver);
}

TEST(Limits, TheLargestPayloadIsDeliverableAndALargerOneIsRefusedTooLarge) {
  TestBroker broker(config_for("visibility_timeout"));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  const std::vector<PublishConfirm> settled = producer.publish_settled(Publish{{{1, 0, 0, std::string(kMaxPayloadLength, 'x')}}});
  EXPECT_EQ(settled.at(0).status, PublishStatus::accepted);
  // One byte more still fits a PUBLISH frame, but its DELIVER would not fit.
  const std::vector<PublishConfirm> refused =
      producer.publish_settled(Publish{{{2, 0, 0, std::string(kMaxPayloadLength + 1, 'z')}}});
  EXPECT_EQ(refused.at(0).status, PublishStatus::too_large);
  EXPECT_EQ(refused[0].message_id, 0u);
  const auto got = consume(consumer, 1, true, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.at(settled[0].message_id).size(), kMaxPayloadLength);
  const nlohmann::json stats = wait_for_stats(consumer, nothing_held);
  EXPECT_EQ(stats["too_large"], 1);
  EXPECT_EQ(stats["published"], 1);
  EXPECT_EQ(stats["redeliveries"], 0);
}

TEST(Limits, PublishesAboveMaxQueueBytesAreRefusedQueueFullUntilConsumersDrain) {
  BrokerConfig config = config_for("visibility_timeout");
  config.max_queue_bytes = 50 * (100 + kStoredMessageOverhead);
  TestBroker broker(std::move(config));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  Publish batch;
  for (std::uint64_t i = 0; i < 80; ++i) batch.messages.push_back({i, i, 0, payload("m", i, 100)});
  const std::vector<PublishConfirm> settled = producer.publish_settled(batch);
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < settled.size(); ++i) {
    const bool ok = settled[i].status == PublishStatus::accepted;
    accepted += ok ? 1 : 0;
    EXPECT_EQ(ok, i < 50) << "message " << i << ": " << publish_status_name(settled[i].status);
  }
  EXPECT_EQ(accepted, 50u);
  EXPECT_EQ(producer.stats()["queue_full"], 30);
  EXPECT_EQ(consume(consumer, 50).size(), 50u);
  const nlohmann::json drained = wait_for_stats(consumer, nothing_held);
  EXPECT_EQ(drained["queue_bytes"], 0);
  EXPECT_EQ(publish(producer, "again", 50).size(), 50u);
  EXPECT_EQ(consume(consumer, 50).size(), 50u);
}

TEST(Limits, AnAckBatchOfStaleReceiptsGetsOneError) {
  TestBroker broker(config_for("visibility_timeout", {"stale_ack=reject"}));
  Client consumer = broker.connect(Role::consumer, "c");
  std::vector<std::uint64_t> receipts;
  for (std::uint64_t r = 1000; r < 101'000; ++r) receipts.push_back(r);
  consumer.ack(receipts);
  const nlohmann::json stats = consumer.stats();  // after the ACK: its ERROR came first
  EXPECT_EQ(stats["stale_refused"], 100'000);
  EXPECT_EQ(stats["acked"], 0);
  ASSERT_EQ(consumer.warnings.size(), 1u);
  EXPECT_EQ(consumer.warnings[0].code, ErrorCode::stale_receipt);
  EXPECT_EQ(consumer.warnings[0].ref, 1000u);
  EXPECT_EQ(consumer.warnings[0].text.rfind("100000 receipts are no longer current: 1000 1001", 0), 0u)
      << consumer.warnings[0].text;
  EXPECT_EQ(stats["slow_reader_disconnects"], 0);
}

// ---- STATS counters count what happened.

TEST(Counters, AckedCountsOnlyAcksOfCurrentReceipts) {
  TestBroker broker(config_for("visibility_timeout", {"visibility_timeout=1h"}));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  publish(producer, "m", 2);
  const std::vector<Deliver> got = consumer.receive(2, 10'000);
  ASSERT_EQ(got.size(), 2u);
  consumer.ack({got[0].receipt, got[0].receipt, 987654321});  // once current, then a duplicate, then unknown
  const nlohmann::json stats = consumer.stats();
  EXPECT_EQ(stats["acked"], 1);
  EXPECT_EQ(stats["stale_refused"], 2);
  EXPECT_EQ(stats["held"], 1);
}

TEST(Counters, AcksToADesignThatHandsOverAtDeliveryAreNotCountedAsAcked) {
  TestBroker broker(config_for("pull"));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  publish(producer, "m", 3);
  const auto got = consume(consumer, 3);  // acks the three receipts
  consumer.ack({42, 43});
  const nlohmann::json stats = consumer.stats();
  EXPECT_EQ(stats["handed_over"], 3);
  EXPECT_EQ(stats["acked"], 0);
}

TEST(Counters, RefusedReleasesAndExtendsAreNotCounted) {
  TestBroker broker(config_for("visibility_timeout", {"visibility_timeout=1h"}));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  publish(producer, "m", 1);
  const std::vector<Deliver> first = consumer.receive(1, 10'000);
  ASSERT_EQ(first.size(), 1u);
  consumer.extend(first[0].receipt, 60'000);  // current: counted
  consumer.release({first[0].receipt});       // current: counted
  consumer.release({first[0].receipt});       // no longer current
  consumer.extend(first[0].receipt, 60'000);  // no longer current
  consumer.release({555});                    // never issued
  consumer.extend(556, 1000);                 // never issued
  const nlohmann::json stats = consumer.stats();
  EXPECT_EQ(stats["released"], 1);
  EXPECT_EQ(stats["extended"], 1);
  EXPECT_EQ(stats["stale_refused"], 4);
}

TEST(Counters, MessagesQueuedToASlowReaderOfAnAtMostOnceDesignAreLostNotHandedOver) {
  BrokerConfig config = config_for("pull");
  config.max_write_queue = 64 * 1024;
  TestBroker broker(std::move(config));
  Client producer = broker.connect(Role::producer, "p");
  RawConnection slow(broker.port(), 4096);
  std::vector<std::uint8_t> frames;
  append_hello(frames, Hello{kProtocolVersion, Role::consumer, "slow", ""});
  append_pull(frames, Pull{1'000'000, kWaitForever, false});
  slow.send(frames);
  wait_for_stats(producer, [](const nlohmann::json& s) { return s["consumers"] == 1; });
  constexpr std::uint64_t kCount = 2000;
  publish(producer, "big", kCount, 100, 1024);
  EXPECT_TRUE(broker.wait_for_log({"not reading; disconnecting"})) << broker.log_text();
  const nlohmann::json stats = producer.stats();
  EXPECT_EQ(stats["slow_reader_disconnects"], 1);
  EXPECT_GT(stats["lost"].get<std::uint64_t>(), 0u);
  // What the kernel took may have reached the client; what the broker still held did not.
  EXPECT_EQ(stats["handed_over"].get<std::uint64_t>() + stats["lost"].get<std::uint64_t>() +
                stats["held"].get<std::uint64_t>(),
            kCount);
  EXPECT_LT(stats["handed_over"].get<std::uint64_t>(), kCount);
}

// The broker hosts every registered design unchanged: each delivers what is published, once, to a consumer
// that acks, and ends holding nothing.
class EveryDesignLive : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryDesignLive, DeliversEveryMessageOnceAndEndsHoldingNothing) {
  TestBroker broker(config_for(GetParam()));
  Client producer = broker.connect(Role::producer, "p");
  Client consumer = broker.connect(Role::consumer, "c");
  constexpr std::uint64_t kCount = 300;
  const std::vector<std::uint64_t> ids = publish(producer, "m", kCount);
  const std::map<std::uint64_t, std::string> got = consume(consumer, kCount);
  ASSERT_EQ(got.size(), kCount);
  for (const std::uint64_t id : ids) EXPECT_TRUE(got.count(id)) << "message " << id;
  EXPECT_TRUE(nothing_held(wait_for_stats(producer, nothing_held)));
}

std::vector<std::string> design_names() {
  std::vector<std::string> names;
  for (const DesignInfo& info : designs()) names.push_back(info.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registered, EveryDesignLive, ::testing::ValuesIn(design_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace qlab::live
