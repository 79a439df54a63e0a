// The NATS JetStream back end against real nats-server processes (Debian's nats-server, installed by
// scripts/setup.sh) started by NatsLauncher on free loopback ports.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "live/backends/nats_backend.hpp"
#include "live/backends/nats_client.hpp"
#include "live/backends/nats_launcher.hpp"
#include "tests/live/real_broker_test_support.hpp"

namespace qlab::live {
namespace {

using testing::Collector;
using testing::client_config;
using testing::eventually;
using testing::publish_confirmed;
using testing::queue_spec;

class NatsBackendTest : public ::testing::Test {
 protected:
  void launch(const QueueSpec& queue, const nlohmann::json& options = nlohmann::json::object(),
              std::uint32_t nodes = 1) {
    queue_ = queue;
    options_ = options;
    LaunchPlan plan;
    plan.work_dir = dir_.path();
    plan.nodes = nodes;
    plan.queue = queue;
    plan.backend_options = options;
    const Time begin = monotonic_now();
    launcher_.start(plan, 20 * kSecond);
    RecordProperty("start_ms", std::to_string((monotonic_now() - begin) / kMillisecond));
  }
  std::unique_ptr<NatsClient> producer() {
    return std::make_unique<NatsClient>(client_config(ClientRole::producer, launcher_.endpoints(), queue_, options_));
  }
  std::unique_ptr<NatsClient> consumer(std::uint32_t index = 0, std::uint32_t count = 1) {
    ClientConfig config = client_config(ClientRole::consumer, launcher_.endpoints(), queue_, options_);
    config.consumer_index = index;
    config.consumer_count = count;
    config.name = "consumers[" + std::to_string(index) + "]";
    return std::make_unique<NatsClient>(config);
  }
  // Publishes message 1 (confirmed) and returns a consumer that has received it into `got`.
  std::unique_ptr<NatsClient> consumer_holding_one(Collector& got) {
    auto out = producer();
    Collector sent;
    publish_confirmed(*out, sent, 1, 1);
    auto in = consumer();
    EXPECT_TRUE(got.pull_and_wait(*in, 1, 5 * kSecond));
    return in;
  }
  // Messages in a stream now; -1 when the stream does not exist.
  std::int64_t stream_messages(const std::string& stream) {
    try {
      const auto connection = launcher_.connect(2 * kSecond);
      const nlohmann::json info = jetstream_call(*connection, "$JS.API.STREAM.INFO." + stream, nullptr, 2 * kSecond);
      return info["state"]["messages"].get<std::int64_t>();
    } catch (const BackendError& e) {
      if (std::string(e.what()).find("10059") != std::string::npos) return -1;  // stream not found
      throw;
    }
  }

  testing::ScratchDir dir_{"qlab-nats-test"};
  NatsLauncher launcher_;
  QueueSpec queue_;
  nlohmann::json options_;
};

QueueSpec visibility(Time ack_wait, std::int64_t max_receives = 0) {
  return queue_spec("visibility_timeout", {{"visibility_timeout", ack_wait}, {"max_receives", max_receives}});
}

TEST_F(NatsBackendTest, PublishedMessagesAreConfirmedDeliveredWithTheirIdsAndDeletedByAcks) {
  launch(visibility(30 * kSecond));
  EXPECT_EQ(launcher_.version().rfind("nats-server 2.", 0), 0u) << launcher_.version();
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 1, 20);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 20);

  auto in = consumer();
  Collector got;
  ASSERT_TRUE(got.pull_and_wait(*in, 20, 5 * kSecond));
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(got.deliveries[i].message_id, i + 1);
    EXPECT_EQ(got.deliveries[i].intended, static_cast<Time>(1001 + i));
    EXPECT_EQ(got.deliveries[i].receive_count, 1u);
    EXPECT_NE(got.deliveries[i].receipt, 0u);
    in->ack(got.deliveries[i].receipt);
  }
  in->flush(2 * kSecond);
  EXPECT_TRUE(eventually([&] { return stream_messages(NatsLayout::kStream) == 0; }, 5 * kSecond));
  EXPECT_TRUE(got.warnings.empty());
}

TEST_F(NatsBackendTest, RetriedPublishIsDeduplicatedByNatsMsgIdUnlessDedupIsOff) {
  launch(visibility(30 * kSecond));
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 7, 1);
  publish_confirmed(*out, sent, 7, 1);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 1);

  ClientConfig config = client_config(ClientRole::producer, launcher_.endpoints(), queue_, {{"dedup", false}});
  NatsClient plain(config);
  Collector plain_sent;
  publish_confirmed(plain, plain_sent, 7, 1);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 2);
}

TEST_F(NatsBackendTest, MessageHeldByALostConsumerIsRedeliveredAfterAckWait) {
  constexpr Time kAckWait = 500 * kMillisecond;
  launch(visibility(kAckWait));
  Collector first_got;
  auto first = consumer_holding_one(first_got);
  ASSERT_EQ(first_got.deliveries.size(), 1u);
  const Time delivered = monotonic_now();
  first.reset();  // disconnects holding the message, without ack

  auto second = consumer();
  Collector second_got;
  ASSERT_TRUE(second_got.pull_and_wait(*second, 1, 10 * kSecond));
  EXPECT_GE(monotonic_now() - delivered, kAckWait);
  EXPECT_EQ(second_got.deliveries[0].message_id, 1u);
  EXPECT_EQ(second_got.deliveries[0].receive_count, 2u);
}

TEST_F(NatsBackendTest, ALateAckOfAnEarlierDeliveryStillDeletesTheMessage) {
  constexpr Time kAckWait = 300 * kMillisecond;
  launch(visibility(kAckWait));
  Collector slow_got;
  auto slow = consumer_holding_one(slow_got);
  ASSERT_EQ(slow_got.deliveries.size(), 1u);
  auto fast = consumer();
  Collector fast_got;
  ASSERT_TRUE(fast_got.pull_and_wait(*fast, 1, 10 * kSecond));
  EXPECT_EQ(fast_got.deliveries[0].receive_count, 2u);
  // JetStream acks by stream sequence: the first holder's ack deletes the message the second one holds
  // (qlab's designs would reject or ignore it; see docs/BACKENDS.md).
  slow->ack(slow_got.deliveries[0].receipt);
  slow->flush(2 * kSecond);
  EXPECT_TRUE(eventually([&] { return stream_messages(NatsLayout::kStream) == 0; }, 5 * kSecond));
}

TEST_F(NatsBackendTest, ReleasedMessageIsRedeliveredLongBeforeAckWait) {
  launch(visibility(60 * kSecond));
  Collector got;
  auto in = consumer_holding_one(got);
  ASSERT_EQ(got.deliveries.size(), 1u);
  in->release(got.deliveries[0].receipt);
  ASSERT_TRUE(got.pull_and_wait(*in, 1, 5 * kSecond));
  EXPECT_EQ(got.deliveries[1].message_id, 1u);
  EXPECT_EQ(got.deliveries[1].receive_count, 2u);
}

TEST_F(NatsBackendTest, ExtendKeepsTheMessageHiddenPastAckWait) {
  constexpr Time kAckWait = 600 * kMillisecond;
  launch(visibility(kAckWait));
  Collector held;
  auto holder = consumer_holding_one(held);
  ASSERT_EQ(held.deliveries.size(), 1u);

  auto other = consumer();
  Collector other_got;
  other->pull(1);
  // Three ack_waits, extended every third of one: the other consumer of the durable never sees the message.
  for (int i = 0; i < 9; ++i) {
    holder->extend(held.deliveries[0].receipt, kAckWait);
    ASSERT_EQ(other_got.deliveries_during(*other, kAckWait / 3), 0u) << "after " << i << " extends";
  }
  holder->ack(held.deliveries[0].receipt);
  holder->flush(2 * kSecond);
  EXPECT_TRUE(eventually([&] { return stream_messages(NatsLayout::kStream) == 0; }, 5 * kSecond));
  EXPECT_EQ(other_got.deliveries_during(*other, 2 * kAckWait), 0u);
}

TEST_F(NatsBackendTest, MessageThatUsedUpMaxDeliverMovesToTheDeadLetterStream) {
  launch(visibility(60 * kSecond, 2));
  Collector got;
  auto in = consumer_holding_one(got);
  ASSERT_EQ(got.deliveries.size(), 1u);
  in->release(got.deliveries.back().receipt);
  ASSERT_TRUE(got.pull_and_wait(*in, 1, 5 * kSecond));
  EXPECT_EQ(got.deliveries.back().message_id, 1u);
  EXPECT_EQ(got.deliveries.back().receive_count, 2u);
  in->release(got.deliveries.back().receipt);
  in->pull(1);
  // The consumer that hears the MAX_DELIVERIES advisory moves the message; it is never delivered a third time.
  EXPECT_TRUE(got.poll_until(*in, [&] { return stream_messages(NatsLayout::kDeadStream) == 1; }, 5 * kSecond));
  EXPECT_TRUE(got.poll_until(*in, [&] { return stream_messages(NatsLayout::kStream) == 0; }, 5 * kSecond));
  EXPECT_EQ(got.deliveries.size(), 2u);
  EXPECT_TRUE(got.warnings.empty()) << got.warnings.front();
}

TEST_F(NatsBackendTest, PullDesignAcksOnReceiptSoALostConsumerLosesWhatItHeld) {
  launch(queue_spec("pull"));
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 1, 3);
  auto in = consumer();
  Collector got;
  ASSERT_TRUE(got.pull_and_wait(*in, 3, 5 * kSecond));
  in->flush(2 * kSecond);
  in.reset();
  EXPECT_TRUE(eventually([&] { return stream_messages(NatsLayout::kStream) == 0; }, 5 * kSecond));
}

TEST_F(NatsBackendTest, PreassignedMessagesReachOnlyTheirConsumer) {
  launch(queue_spec("preassigned"));
  auto in0 = consumer(0, 2);
  auto in1 = consumer(1, 2);
  ClientConfig config = client_config(ClientRole::producer, launcher_.endpoints(), queue_, options_);
  config.consumer_count = 2;
  NatsClient out(config);
  Collector sent;
  publish_confirmed(out, sent, 1, 6);
  Collector got0;
  Collector got1;
  in0->pull(10);
  in1->pull(10);
  ASSERT_TRUE(got0.poll_until(*in0, [&] { return got0.deliveries.size() == 3; }, 5 * kSecond));
  ASSERT_TRUE(got1.poll_until(*in1, [&] { return got1.deliveries.size() == 3; }, 5 * kSecond));
  for (const Delivery& d : got0.deliveries) EXPECT_EQ(d.message_id % 2, 1u);  // round robin: 1, 3, 5
  for (const Delivery& d : got1.deliveries) EXPECT_EQ(d.message_id % 2, 0u);
}

TEST_F(NatsBackendTest, FileStorageKeepsTheBacklogWhenTheNodeIsKilled) {
  launch(visibility(30 * kSecond), {{"storage", "file"}});
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 1, 10);
  launcher_.kill(0);
  EXPECT_FALSE(launcher_.running(0));
  launcher_.restart(0, 20 * kSecond);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 10);
}

TEST_F(NatsBackendTest, MemoryStorageLosesTheBacklogWhenTheNodeIsKilled) {
  launch(visibility(30 * kSecond), {{"storage", "memory"}});
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 1, 10);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 10);
  launcher_.kill(0);
  launcher_.restart(0, 20 * kSecond);
  EXPECT_EQ(stream_messages(NatsLayout::kStream), 0);
}

TEST_F(NatsBackendTest, ThreeReplicasLoseNoConfirmedMessageWhenTheStreamLeaderIsKilled) {
  launch(queue_spec("replicated", {{"replicas", std::int64_t{3}}, {"visibility_timeout", 30 * kSecond}}),
         {{"storage", "file"}}, 3);
  ASSERT_EQ(launcher_.node_count(), 3u);
  auto out = producer();
  Collector sent;
  publish_confirmed(*out, sent, 1, 30);

  const std::uint32_t old_leader = launcher_.leader();
  launcher_.kill(old_leader);
  const Time killed = monotonic_now();
  const std::uint32_t new_leader = launcher_.leader();  // polls through the election
  RecordProperty("election_ms", std::to_string((monotonic_now() - killed) / kMillisecond));
  EXPECT_NE(new_leader, old_leader);
  EXPECT_TRUE(launcher_.running(new_leader));

  // A consumer connects to a surviving node (the durable's create waits for the meta leader, too).
  std::unique_ptr<NatsClient> in;
  ASSERT_TRUE(eventually([&] {
    try {
      in = consumer();
      return true;
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw;
      return false;
    }
  }, 20 * kSecond));
  Collector got;
  ASSERT_TRUE(got.pull_and_wait(*in, 30, 20 * kSecond));
  std::set<std::uint64_t> ids;
  for (const Delivery& d : got.deliveries) ids.insert(d.message_id);
  EXPECT_EQ(ids.size(), 30u);
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), 30u);

  launcher_.restart(old_leader, 20 * kSecond);
  EXPECT_TRUE(launcher_.running(old_leader));
  const std::vector<Endpoint> endpoints = launcher_.endpoints();
  launcher_.stop_all();
  for (const Endpoint& endpoint : endpoints) {
    EXPECT_THROW(NatsConnection({endpoint}, 0, "probe", kSecond), BackendError) << endpoint.port;
  }
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_FALSE(launcher_.running(i));
}

// A fake server on loopback sends INFO, answers the client's PING, then sends one malformed line: the client
// reports a BackendError (not a crash, not a hang).
class NatsMalformedLineTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NatsMalformedLineTest, IsAnErrorNotACrash) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string garbage = GetParam();
  std::jthread server([&] {  // joins however the test ends
    const int fd = ::accept(listener, nullptr, nullptr);
    const std::string info = "INFO {\"version\":\"fake\"}\r\n";
    ::send(fd, info.data(), info.size(), MSG_NOSIGNAL);
    std::string seen;
    char buffer[512];
    while (seen.find("PING\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      seen.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string reply = "PONG\r\n" + garbage;
    ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
    }  // until the client closes
    ::close(fd);
  });
  std::vector<NatsMessage> got;
  const auto talk = [&] {  // the line may arrive with the PONG that ends the handshake
    NatsConnection connection({{"127.0.0.1", ntohs(address.sin_port)}}, 0, "probe", 2 * kSecond);
    for (int i = 0; i < 3; ++i) connection.read(kSecond, got);
  };
  EXPECT_THROW(talk(), BackendError);
  EXPECT_TRUE(got.empty());
  server.join();
  ::close(listener);
}

INSTANTIATE_TEST_SUITE_P(Lines, NatsMalformedLineTest,
                         ::testing::Values("MSG subject not-a-number 5\r\nhello\r\n",
                                           "MSG subject 1 99999999999999999999999\r\n",
                                           "HMSG subject 1 10 5\r\nhello\r\n",
                                           "MSG\r\n",
                                           "-ERR 'Authorization Violation'\r\n"));

TEST(NatsBackendCheck, RefusesWhatJetStreamCannotExpress) {
  const Backend backend = nats_backend();
  Scenario scenario;
  scenario.queue = queue_spec("visibility_timeout");
  EXPECT_NO_THROW(backend.check(scenario, {{"storage", "memory"}, {"dedup", false}}));
  EXPECT_THROW(backend.check(scenario, {{"storage", "disk"}}), std::invalid_argument);
  EXPECT_THROW(backend.check(scenario, {{"appendfsync", "always"}}), std::invalid_argument);
  scenario.queue = queue_spec("visibility_timeout", {{"release_on_disconnect", true}});
  EXPECT_THROW(backend.check(scenario, nlohmann::json::object()), std::invalid_argument);
  scenario.queue = queue_spec("replicated", {{"acks", std::string("leader")}});
  EXPECT_THROW(backend.check(scenario, nlohmann::json::object()), std::invalid_argument);
  scenario.queue = queue_spec("replicated");
  EXPECT_NO_THROW(backend.check(scenario, nlohmann::json::object()));
}

}  // namespace
}  // namespace qlab::live
