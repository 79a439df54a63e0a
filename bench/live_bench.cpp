// qlab_live_bench: the live benchmark of issue 4. It drives a running qlab broker (visibility_timeout),
// beanstalkd and a Redis reliable queue on loopback with the same closed-loop load: 100-byte messages,
// every message acked, at most `window` (64) messages published but not yet acked, for a fixed count or
// duration. It reports acked messages per second and the publish-to-delivery latency (p50/p99), then the
// ratios qlab/beanstalkd and qlab/redis, as a Markdown table. scripts/live_bench.sh starts the servers.
//
// One thread drives both ends of each system (a producer and a consumer connection, poll()ed together),
// so on a 2-core machine the server under test has a core to itself. A message is stamped just before
// its publish is queued and timed when the read that carried its delivery returned; it counts against
// the window until its ack is sent. At the end the driver waits until the server confirmed every ack
// (qlab: a STATS round trip; beanstalkd: DELETED; Redis: LREM's reply), inside the timed interval.
#include <poll.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/beanstalk_client.hpp"
#include "bench/redis_client.hpp"
#include "bench/tcp_client.hpp"
#include "core/histogram.hpp"
#include "live/client.hpp"
#include "live/protocol.hpp"

namespace qlab::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

struct Load {
  std::uint64_t count = 1'000'000;  // messages after the warm-up, at most
  double duration = 10;             // seconds after the warm-up, at most
  std::uint64_t warmup = 20'000;    // messages acked before the clock starts (not measured)
  std::size_t size = 100;           // payload bytes
  std::uint32_t window = 64;        // published but not yet acked, at most
  int stall_ms = 10'000;            // no progress for this long: the run fails
};

// Payload: "<sent time, 16 hex>-<sequence number, 16 hex>" padded with '.' to the size; beanstalkd and
// Redis carry the timestamp only here, qlab also in producer_time.
std::string make_payload(std::int64_t sent, std::uint64_t seq, std::size_t size) {
  char text[40];
  std::snprintf(text, sizeof text, "%016llx-%016llx", static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(seq));
  std::string payload(text);
  payload.resize(std::max(size, payload.size()), '.');
  return payload;
}

struct Stamp {
  std::int64_t sent = 0;
  std::uint64_t seq = 0;
};

Stamp parse_payload(std::string_view payload) {
  Stamp s;
  std::uint64_t sent = 0;
  if (payload.size() < 33 || payload[16] != '-' ||
      std::from_chars(payload.data(), payload.data() + 16, sent, 16).ptr != payload.data() + 16 ||
      std::from_chars(payload.data() + 17, payload.data() + 33, s.seq, 16).ptr != payload.data() + 33) {
    throw ClientError("a delivery that this benchmark did not publish (is the queue empty at the start?)");
  }
  s.sent = static_cast<std::int64_t>(sent);
  return s;
}

// Deliveries as the drivers see them: latency of measured messages, and duplicate detection.
class Tally {
 public:
  Tally(std::uint64_t warmup, std::uint64_t capacity) : warmup_(warmup), seen_(capacity, false) {}

  void delivered(std::uint64_t seq, std::int64_t sent, std::int64_t now) {
    if (seq >= seen_.size()) throw ClientError("a delivery with sequence number " + std::to_string(seq) + " never published");
    ++deliveries_;
    if (seen_[seq]) {
      ++duplicates_;
      return;
    }
    seen_[seq] = true;
    if (seq >= warmup_) latency_.record(now - sent);
  }

  const Histogram& latency() const { return latency_; }
  std::uint64_t deliveries() const { return deliveries_; }
  std::uint64_t duplicates() const { return duplicates_; }

 private:
  std::uint64_t warmup_;
  std::vector<bool> seen_;
  Histogram latency_;
  std::uint64_t deliveries_ = 0;
  std::uint64_t duplicates_ = 0;
};

// How the clients talk. Pipelined: commands go out as soon as the window allows and replies are read as
// they come; with `batch`, several messages share a command where the protocol has it (qlab PUBLISH and
// ACK, Redis LPUSH). Request/response: each connection waits for the reply to one command before sending
// the next, one message per command, as a plain blocking client does.
struct Style {
  bool batch = true;
  bool sync = false;
  std::string suffix() const { return sync ? ", request/response" : batch ? "" : ", unbatched"; }
};

// One system under test: a producer and a consumer connection (fds()[0], fds()[1]) and how to speak to it.
class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
  virtual std::string how() const = 0;  // one line: the commands used
  // Queues `n` messages with sequence numbers first_seq.., stamped `now`.
  virtual void publish(std::uint64_t first_seq, std::uint32_t n, std::int64_t now) = 0;
  virtual void flush() = 0;
  virtual std::vector<int> fds() = 0;
  // Reads and handles what arrived on fds()[index]; returns the number of acks it queued.
  virtual std::uint32_t handle(std::size_t index, Tally& tally) = 0;
  // Waits until the server confirmed every publish and every ack queued so far.
  virtual void finish(std::uint64_t published, std::uint64_t acked, int timeout_ms) = 0;
};

// ---- qlab ------------------------------------------------------------------------------------------

struct QlabFrame {
  live::FrameHeader header;
  std::span<const std::uint8_t> body;  // valid until the connection reads again
};

std::optional<QlabFrame> next_frame(TcpClient& c) {
  const std::string_view in = c.input();
  if (in.size() < live::kHeaderSize) return std::nullopt;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(in.data());
  const live::FrameHeader header = live::decode_header(std::span<const std::uint8_t, live::kHeaderSize>(bytes, live::kHeaderSize));
  if (in.size() < live::kHeaderSize + header.body_length) return std::nullopt;
  c.consume(live::kHeaderSize + header.body_length);
  return QlabFrame{header, std::span<const std::uint8_t>(bytes + live::kHeaderSize, header.body_length)};
}

[[noreturn]] void throw_qlab_error(std::span<const std::uint8_t> body) {
  const live::Error e = live::decode_error(body);
  throw ClientError("qlab broker error " + std::string(live::error_code_name(e.code)) + ": " + e.text);
}

QlabFrame expect_frame(TcpClient& c, live::FrameType type, int timeout_ms) {
  for (;;) {
    while (std::optional<QlabFrame> f = next_frame(c)) {
      if (f->header.type == type) return *f;
      if (f->header.type == live::FrameType::error) throw_qlab_error(f->body);
    }
    if (!c.wait_and_read(timeout_ms)) {
      throw ClientError("qlab: timed out waiting for " + std::string(live::frame_type_name(type)));
    }
  }
}

class QlabDriver final : public Driver {
 public:
  // batched: each PUBLISH carries every message the free window allows and each ACK every delivery one
  // read brought; otherwise one message per PUBLISH and one receipt per ACK (and per credit top-up).
  QlabDriver(const std::string& host, std::uint16_t port, const Load& load, Style style)
      : producer_(host, port), consumer_(host, port), size_(load.size), batched_(style.batch && !style.sync), style_(style) {
    hello(producer_, live::Role::producer, "live-bench-producer");
    const live::HelloOk ok = hello(consumer_, live::Role::consumer, "");
    design_ = ok.design;
    // Streaming credit: the whole window (request/response: 1); each ack tops it up by as many.
    live::append_pull(consumer_.out(), live::Pull{style.sync ? 1 : load.window, live::kWaitForever, false});
    consumer_.flush();
    if (style.sync) producer_.set_max_outstanding(1);
  }

  std::string name() const override { return "qlab" + style_.suffix(); }
  std::string how() const override {
    const std::string broker = "`qlab broker --design " + design_ + "`: ";
    if (style_.sync) {
      return broker + "PUBLISH of 1 message, wait for PUBLISH_OK; PULL credit 1, on each DELIVER one ACK + PULL of 1";
    }
    return broker + "streaming PULL credit = window; " +
           (batched_ ? "one PUBLISH per free window, one ACK (all receipts of a read) + PULL top-up per read"
                     : "one PUBLISH per message, one ACK + one PULL top-up per delivery");
  }

  void publish(std::uint64_t first_seq, std::uint32_t n, std::int64_t now) override {
    const std::uint32_t per_frame = batched_ ? n : 1;
    for (std::uint32_t done = 0; done < n; done += per_frame) {
      batch_.messages.resize(per_frame);
      for (std::uint32_t i = 0; i < per_frame; ++i) {
        live::PublishItem& m = batch_.messages[i];
        const std::uint64_t seq = first_seq + done + i;
        m.client_seq = seq;
        m.key = seq;
        m.producer_time = static_cast<std::uint64_t>(now);
        m.payload = make_payload(now, seq, size_);
      }
      live::append_publish(producer_.out(), batch_);
      producer_.end_command();
    }
  }

  void flush() override {
    producer_.flush();
    consumer_.flush();
  }

  std::vector<int> fds() override { return {producer_.fd(), consumer_.fd()}; }

  std::uint32_t handle(std::size_t index, Tally& tally) override {
    if (index == 0) {
      producer_.read_available();
      while (std::optional<QlabFrame> f = next_frame(producer_)) {
        if (f->header.type == live::FrameType::error) throw_qlab_error(f->body);
        if (f->header.type != live::FrameType::publish_ok) continue;
        producer_.replied();
        for (const live::PublishConfirm& c : live::decode_publish_ok(f->body).confirms) {
          if (c.status != live::PublishStatus::accepted) throw ClientError("qlab: a publish was refused");
          ++confirmed_;
        }
      }
      return 0;
    }
    consumer_.read_available();
    const std::int64_t now = now_ns();
    receipts_.receipts.clear();
    while (std::optional<QlabFrame> f = next_frame(consumer_)) {
      if (f->header.type == live::FrameType::error) throw_qlab_error(f->body);
      if (f->header.type != live::FrameType::deliver) continue;
      const live::Deliver d = live::decode_deliver(f->body);
      tally.delivered(d.key, static_cast<std::int64_t>(d.producer_time), now);
      receipts_.receipts.push_back(d.receipt);
      if (!batched_) {
        live::append_receipts(consumer_.out(), live::FrameType::ack, receipts_);
        live::append_pull(consumer_.out(), live::Pull{1, live::kWaitForever, false});
        receipts_.receipts.clear();
        ++acks_;
      }
    }
    if (!batched_) return std::exchange(acks_, 0);
    const auto n = static_cast<std::uint32_t>(receipts_.receipts.size());
    if (n > 0) {
      live::append_receipts(consumer_.out(), live::FrameType::ack, receipts_);
      live::append_pull(consumer_.out(), live::Pull{n, live::kWaitForever, false});
    }
    return n;
  }

  void finish(std::uint64_t published, std::uint64_t acked, int timeout_ms) override {
    while (confirmed_ < published) {
      if (!producer_.wait_and_read(timeout_ms)) throw ClientError("qlab: timed out waiting for PUBLISH_OK");
      while (std::optional<QlabFrame> f = next_frame(producer_)) {
        if (f->header.type == live::FrameType::error) throw_qlab_error(f->body);
        if (f->header.type == live::FrameType::publish_ok) confirmed_ += live::decode_publish_ok(f->body).confirms.size();
      }
    }
    // Frames are handled in order, so STATS_OK comes after every ACK sent before it.
    live::append_stats(consumer_.out());
    consumer_.flush();
    const QlabFrame f = expect_frame(consumer_, live::FrameType::stats_ok, timeout_ms);
    const nlohmann::json stats = nlohmann::json::parse(live::decode_stats_ok(f.body).json);
    if (stats.value("acked", std::uint64_t{0}) < acked) {
      throw ClientError("qlab: the broker counts " + stats.value("acked", nlohmann::json(0)).dump() + " acks, the driver sent " +
                        std::to_string(acked));
    }
  }

 private:
  static live::HelloOk hello(TcpClient& c, live::Role role, const std::string& name) {
    live::append_hello(c.out(), live::Hello{live::kProtocolVersion, role, name, ""});
    c.flush();
    return live::decode_hello_ok(expect_frame(c, live::FrameType::hello_ok, 10'000).body);
  }

  TcpClient producer_;
  TcpClient consumer_;
  std::size_t size_;
  bool batched_;
  Style style_;
  std::uint32_t acks_ = 0;
  std::string design_;
  live::Publish batch_;
  live::Receipts receipts_;
  std::uint64_t confirmed_ = 0;
};

// The beanstalkd and Redis drivers: two connections of a text-protocol client, pipelined or one request
// at a time (Style::sync) each.
template <class Client>
class ClientPairDriver : public Driver {
 public:
  void flush() override {
    producer_.connection().flush();
    consumer_.connection().flush();
  }
  std::vector<int> fds() override { return {producer_.connection().fd(), consumer_.connection().fd()}; }

 protected:
  ClientPairDriver(const std::string& host, std::uint16_t port, const Load& load, Style style)
      : producer_(host, port), consumer_(host, port), size_(load.size), style_(style) {}
  // After the set-up requests: from here on, request/response style holds one command per connection.
  void start() {
    if (style_.sync) {
      producer_.connection().set_max_outstanding(1);
      consumer_.connection().set_max_outstanding(1);
    }
  }

  Client producer_;
  Client consumer_;
  std::size_t size_;
  Style style_;
};

// ---- beanstalkd ------------------------------------------------------------------------------------

// put on the producer connection; reserve + delete on the consumer connection (a job can only be deleted
// by the connection that reserved it). A reserve waiting for a job would hold up the deletes queued behind
// it on that connection, so the consumer pipelines one reserve per job the producer saw INSERTED: every
// reserve finds a job at once.
class BeanstalkDriver final : public ClientPairDriver<BeanstalkClient> {
 public:
  BeanstalkDriver(const std::string& host, std::uint16_t port, const Load& load, Style style)
      : ClientPairDriver(host, port, load, style) {
    // A tube of our own, so jobs left by an earlier run cannot interfere.
    const std::string tube = "qlab-bench-" + std::to_string(::getpid());
    expect(producer_.request("use " + tube), "USING " + tube);
    expect(consumer_.request("watch " + tube), "WATCHING 2");
    expect(consumer_.request("ignore default"), "WATCHING 1");
    start();
  }

  std::string name() const override { return "beanstalkd" + style_.suffix(); }
  std::string how() const override {
    if (style_.sync) return "put, wait for INSERTED; reserve, wait for RESERVED; delete, wait for DELETED";
    return "put (pipelined); reserve (one per job seen INSERTED) + delete, pipelined on the consumer connection";
  }

  void publish(std::uint64_t first_seq, std::uint32_t n, std::int64_t now) override {
    for (std::uint32_t i = 0; i < n; ++i) producer_.put(make_payload(now, first_seq + i, size_));
  }

  std::uint32_t handle(std::size_t index, Tally& tally) override {
    if (index == 0) {
      producer_.connection().read_available();
      while (std::optional<BeanstalkReply> r = producer_.next_reply()) {
        if (r->kind != BeanstalkReply::Kind::inserted) throw ClientError("beanstalkd: unexpected reply to put");
        ++inserted_;
      }
      for (; reserves_ < inserted_; ++reserves_) consumer_.reserve();
      return 0;
    }
    consumer_.connection().read_available();
    const std::int64_t now = now_ns();
    std::uint32_t acks = 0;
    while (std::optional<BeanstalkReply> r = consumer_.next_reply()) {
      if (r->kind == BeanstalkReply::Kind::reserved) {
        const Stamp s = parse_payload(r->body);
        tally.delivered(s.seq, s.sent, now);
        consumer_.delete_job(r->id);
        ++acks;
      } else if (r->kind == BeanstalkReply::Kind::deleted) {
        ++deleted_;
      } else {
        throw ClientError("beanstalkd: unexpected reply on the consumer connection");
      }
    }
    return acks;
  }

  void finish(std::uint64_t published, std::uint64_t acked, int timeout_ms) override {
    if (inserted_ < published) throw ClientError("beanstalkd: not every put was answered INSERTED");
    while (deleted_ < acked) {
      consumer_.connection().flush();  // request/response: one queued command per reply
      if (!consumer_.connection().wait_and_read(timeout_ms)) throw ClientError("beanstalkd: timed out waiting for DELETED");
      while (std::optional<BeanstalkReply> r = consumer_.next_reply()) {
        if (r->kind != BeanstalkReply::Kind::deleted) throw ClientError("beanstalkd: unexpected reply at the end");
        ++deleted_;
      }
    }
  }

 private:
  static void expect(const std::string& reply, const std::string& wanted) {
    if (reply != wanted) throw ClientError("beanstalkd: got '" + reply + "', expected '" + wanted + "'");
  }

  std::uint64_t inserted_ = 0;
  std::uint64_t reserves_ = 0;
  std::uint64_t deleted_ = 0;
};

// ---- Redis -----------------------------------------------------------------------------------------

// The reliable-queue pattern: LPUSH (one command per batch of values) on the producer connection;
// BLMOVE queue -> processing (RIGHT LEFT) to receive and LREM processing -1 VALUE to ack, pipelined on the
// consumer connection. As with beanstalkd, the consumer sends one BLMOVE per value it knows was pushed,
// so no BLMOVE blocks the acks queued behind it. LREM counts from the tail, where the oldest deliveries
// (acked first) sit.
class RedisDriver final : public ClientPairDriver<RedisClient> {
 public:
  RedisDriver(const std::string& host, std::uint16_t port, const Load& load, Style style)
      : ClientPairDriver(host, port, load, style) {
    const std::string prefix = "qlab-bench:" + std::to_string(::getpid());
    queue_ = prefix + ":queue";
    processing_ = prefix + ":processing";
    producer_.command({"DEL", queue_, processing_});
    producer_.connection().flush();
    for (;;) {
      if (std::optional<RedisReply> r = producer_.next_reply()) {
        if (r->type != RedisReply::Type::integer) throw ClientError("redis: DEL failed: " + std::string(r->text));
        break;
      }
      if (!producer_.connection().wait_and_read(10'000)) throw ClientError("redis: no reply to DEL");
    }
    start();
  }

  std::string name() const override { return "redis" + style_.suffix(); }
  std::string how() const override {
    if (style_.sync) {
      return "LPUSH of 1 value, wait for the reply; BLMOVE queue processing RIGHT LEFT, wait; LREM processing -1 VALUE, wait";
    }
    return std::string(style_.batch ? "LPUSH of every value the free window allows" : "LPUSH of 1 value") +
           "; BLMOVE queue processing RIGHT LEFT (one per value seen pushed) + LREM processing -1 VALUE, pipelined";
  }

  void publish(std::uint64_t first_seq, std::uint32_t n, std::int64_t now) override {
    const std::uint32_t per_command = style_.batch && !style_.sync ? n : 1;
    for (std::uint32_t done = 0; done < n; done += per_command) {
      producer_.begin_command(2 + per_command);
      producer_.add_argument("LPUSH");
      producer_.add_argument(queue_);
      for (std::uint32_t i = 0; i < per_command; ++i) producer_.add_argument(make_payload(now, first_seq + done + i, size_));
      batches_.push_back(per_command);
    }
  }

  std::uint32_t handle(std::size_t index, Tally& tally) override {
    if (index == 0) {
      producer_.connection().read_available();
      while (std::optional<RedisReply> r = producer_.next_reply()) {
        if (r->type != RedisReply::Type::integer || batches_.empty()) {
          throw ClientError("redis: LPUSH failed: " + std::string(r->text));
        }
        pushed_ += batches_.front();
        batches_.pop_front();
      }
      for (; moves_ < pushed_; ++moves_) consumer_.command({"BLMOVE", queue_, processing_, "RIGHT", "LEFT", "0"});
      return 0;
    }
    consumer_.connection().read_available();
    const std::int64_t now = now_ns();
    std::uint32_t acks = 0;
    while (std::optional<RedisReply> r = consumer_.next_reply()) {
      if (r->type == RedisReply::Type::bulk) {
        const Stamp s = parse_payload(r->text);
        tally.delivered(s.seq, s.sent, now);
        consumer_.command({"LREM", processing_, "-1", r->text});
        ++acks;
      } else {
        count_lrem(*r);
      }
    }
    return acks;
  }

  void finish(std::uint64_t published, std::uint64_t acked, int timeout_ms) override {
    if (pushed_ < published) throw ClientError("redis: not every LPUSH was answered");
    while (removed_ < acked) {
      consumer_.connection().flush();  // request/response: one queued command per reply
      if (!consumer_.connection().wait_and_read(timeout_ms)) throw ClientError("redis: timed out waiting for LREM");
      while (std::optional<RedisReply> r = consumer_.next_reply()) count_lrem(*r);
    }
  }

 private:
  void count_lrem(const RedisReply& r) {
    if (r.type != RedisReply::Type::integer || r.integer != 1) {
      throw ClientError("redis: unexpected reply on the consumer connection (type " + std::to_string(static_cast<int>(r.type)) +
                        " " + std::string(r.text) + std::to_string(r.integer) + ")");
    }
    ++removed_;
  }

  std::string queue_;
  std::string processing_;
  std::deque<std::uint32_t> batches_;  // values per LPUSH awaiting its reply
  std::uint64_t pushed_ = 0;
  std::uint64_t moves_ = 0;
  std::uint64_t removed_ = 0;
};

// ---- the run ---------------------------------------------------------------------------------------

struct Outcome {
  std::string name;
  std::string how;
  std::uint64_t messages = 0;  // acked after the warm-up
  double seconds = 0;
  Histogram latency;
  std::uint64_t duplicates = 0;
  std::vector<double> rates;  // of every run of this system, when repeated
  double rate() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
};

Outcome run(Driver& driver, const Load& load) {
  const std::uint64_t capacity = load.warmup + load.count;
  Tally tally(load.warmup, capacity);
  std::uint64_t limit = capacity;  // lowered when the duration is up
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
  std::vector<pollfd> polls;
  for (int fd : driver.fds()) polls.push_back(pollfd{fd, POLLIN, 0});
  std::int64_t measure_start = load.warmup == 0 ? now_ns() : 0;
  const auto duration_ns = static_cast<std::int64_t>(load.duration * 1e9);
  std::int64_t last_progress = now_ns();
  while (acked < limit) {
    const std::int64_t now = now_ns();
    if (measure_start != 0 && now - measure_start >= duration_ns) limit = std::max(published, load.warmup);
    const std::uint64_t in_flight = published - acked;
    if (published < limit && in_flight < load.window) {
      const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(load.window - in_flight, limit - published));
      driver.publish(published, n, now);
      published += n;
    }
    driver.flush();
    const int rc = ::poll(polls.data(), polls.size(), 1000);
    if (rc < 0 && errno != EINTR) throw ClientError("poll failed");
    bool progress = false;
    for (std::size_t i = 0; i < polls.size(); ++i) {
      if (polls[i].revents == 0) continue;
      const std::uint32_t acks = driver.handle(i, tally);
      if (measure_start == 0 && acked < load.warmup && acked + acks >= load.warmup) measure_start = now_ns();
      acked += acks;
      progress = true;
    }
    if (progress) {
      last_progress = now;
    } else if (now - last_progress > static_cast<std::int64_t>(load.stall_ms) * 1'000'000) {
      throw ClientError("no progress for " + std::to_string(load.stall_ms) + " ms (" + std::to_string(acked) + " of " +
                        std::to_string(published) + " published messages acked)");
    }
  }
  driver.finish(published, acked, load.stall_ms);
  const std::int64_t end = now_ns();
  Outcome o;
  o.name = driver.name();
  o.how = driver.how();
  o.messages = acked - std::min(acked, load.warmup);
  o.seconds = static_cast<double>(end - measure_start) / 1e9;
  o.latency = tally.latency();
  o.duplicates = tally.duplicates();
  if (tally.deliveries() != acked) {
    throw ClientError(driver.name() + ": " + std::to_string(tally.deliveries()) + " deliveries for " + std::to_string(acked) +
                      " acks");
  }
  return o;
}

std::string micros(std::int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f µs", static_cast<double>(ns) / 1e3);
  return text;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const std::size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return in ? one : "?";
}

std::string report(const std::vector<Outcome>& outcomes, const Load& load, std::uint32_t repeat,
                   const std::string& load_before) {
  std::ostringstream out;
  char text[512];
  const std::time_t t = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::localtime(&t));
  utsname u{};
  ::uname(&u);
  std::snprintf(text, sizeof text,
                "%s, %s, %u cores (%s %s). %zu-byte messages, every one acked, at most %u in flight; "
                "%llu warm-up messages, then up to %llu messages or %g s per system",
                date, cpu_model().c_str(), std::thread::hardware_concurrency(), u.sysname, u.release, load.size, load.window,
                static_cast<unsigned long long>(load.warmup), static_cast<unsigned long long>(load.count), load.duration);
  out << text;
  if (repeat > 1) out << "; " << repeat << " runs each, the run with the median throughput shown";
  out << ". Load average before / after: " << load_before << " / " << load_average() << ".\n\n";
  out << "| system | acked msg/s | p50 latency | p99 latency | max latency | messages | seconds |"
      << (repeat > 1 ? " msg/s of all runs |" : "") << "\n";
  out << "|---|---:|---:|---:|---:|---:|---:|" << (repeat > 1 ? "---|" : "") << "\n";
  for (const Outcome& o : outcomes) {
    std::snprintf(text, sizeof text, "| %s | %.0f | %s | %s | %s | %llu | %.2f |", o.name.c_str(), o.rate(),
                  micros(o.latency.percentile(0.50)).c_str(), micros(o.latency.percentile(0.99)).c_str(),
                  micros(o.latency.max()).c_str(), static_cast<unsigned long long>(o.messages), o.seconds);
    out << text;
    if (repeat > 1) {
      out << " ";
      for (std::size_t i = 0; i < o.rates.size(); ++i) {
        std::snprintf(text, sizeof text, "%s%.0fk", i == 0 ? "" : ", ", o.rates[i] / 1e3);
        out << text;
      }
      out << " |";
    }
    out << "\n";
  }
  const auto find = [&](const std::string& name) -> const Outcome* {
    for (const Outcome& o : outcomes) {
      if (o.name == name) return &o;
    }
    return nullptr;
  };
  bool header = false;
  for (const Style style : {Style{true, false}, Style{false, false}, Style{false, true}}) {
    const Outcome* q = find("qlab" + style.suffix());
    for (const std::string other : {"beanstalkd", "redis"}) {
      const Outcome* b = find(other + style.suffix());
      // beanstalkd has nothing to batch: its pipelined row is also its unbatched one.
      if (b == nullptr && !style.batch && !style.sync) b = find(other);
      if (q == nullptr || b == nullptr || b->rate() <= 0) continue;
      if (!header) {
        out << "\n| ratio | throughput | p50 latency | p99 latency |\n|---|---:|---:|---:|\n";
        header = true;
      }
      std::snprintf(text, sizeof text, "| %s / %s | %.2fx | %.2fx | %.2fx |\n", q->name.c_str(), b->name.c_str(), q->rate() / b->rate(),
                  static_cast<double>(q->latency.percentile(0.50)) / static_cast<double>(std::max<std::int64_t>(1, b->latency.percentile(0.50))),
                  static_cast<double>(q->latency.percentile(0.99)) / static_cast<double>(std::max<std::int64_t>(1, b->latency.percentile(0.99))));
      out << text;
    }
  }
  out << "\n";
  for (const Outcome& o : outcomes) {
    out << "- " << o.name << ": " << o.how;
    if (o.duplicates > 0) out << " (" << o.duplicates << " duplicate deliveries)";
    out << "\n";
  }
  return out.str();
}

std::pair<std::string, std::uint16_t> address(const std::string& text) {
  try {
    return live::split_host_port(text);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(e.what());
  }
}

int main_impl(int argc, char** argv) {
  CLI::App app{"Live benchmark: a qlab broker, beanstalkd and a Redis reliable queue under the same closed-loop load "
               "(start the servers with scripts/live_bench.sh)"};
  Load load;
  std::string qlab_address;
  std::string beanstalkd_address;
  std::string redis_address;
  std::string out_file;
  std::uint32_t repeat = 1;
  app.add_option("--qlab", qlab_address, "ADDR:PORT of a running `qlab broker --design visibility_timeout`");
  app.add_option("--beanstalkd", beanstalkd_address, "ADDR:PORT of a running beanstalkd");
  app.add_option("--redis", redis_address, "ADDR:PORT of a running redis-server");
  app.add_option("--count", load.count, "messages per system after the warm-up, at most")->capture_default_str();
  app.add_option("--duration", load.duration, "seconds per system after the warm-up, at most")->capture_default_str();
  app.add_option("--warmup", load.warmup, "messages per system before measuring")->capture_default_str();
  app.add_option("--size", load.size, "payload bytes (at least 33)")->capture_default_str()->check(CLI::Range(33, 1 << 20));
  app.add_option("--window", load.window, "messages published but not yet acked, at most")->capture_default_str()->check(CLI::Range(1, 100000));
  std::vector<std::string> styles = {"pipelined", "unbatched", "request-response"};
  app.add_option("--styles", styles,
                 "pipelined (batching where the protocol has it), unbatched (pipelined, 1 message per command: "
                 "qlab and redis), request-response (1 command awaiting its reply per connection)")
      ->delimiter(',')->capture_default_str()->check(CLI::IsMember({"pipelined", "unbatched", "request-response"}));
  app.add_option("--repeat", repeat, "runs per system; the table shows the run with the median throughput")
      ->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--out", out_file, "also write the Markdown table to this file");
  CLI11_PARSE(app, argc, argv);
  if (qlab_address.empty() && beanstalkd_address.empty() && redis_address.empty()) {
    std::fprintf(stderr, "qlab_live_bench: give at least one of --qlab, --beanstalkd, --redis\n");
    return 2;
  }
  std::vector<Outcome> outcomes;
  const std::string load_before = load_average();
  const auto measure = [&](const std::string& label, const std::function<std::unique_ptr<Driver>()>& connect) {
    std::vector<Outcome> runs;
    for (std::uint32_t r = 0; r < repeat; ++r) {
      std::fprintf(stderr, "qlab_live_bench: %s (run %u of %u) ...\n", label.c_str(), r + 1, repeat);
      std::unique_ptr<Driver> driver = connect();  // fresh connections for every run
      runs.push_back(run(*driver, load));
      const Outcome& o = runs.back();
      std::fprintf(stderr, "qlab_live_bench: %s: %.0f acked msg/s, p50 %s, p99 %s\n", label.c_str(), o.rate(),
                   micros(o.latency.percentile(0.5)).c_str(), micros(o.latency.percentile(0.99)).c_str());
    }
    std::sort(runs.begin(), runs.end(), [](const Outcome& a, const Outcome& b) { return a.rate() < b.rate(); });
    std::vector<double> rates;
    for (const Outcome& o : runs) rates.push_back(o.rate());
    outcomes.push_back(std::move(runs[runs.size() / 2]));
    outcomes.back().rates = std::move(rates);
  };
  try {
    for (const std::string_view name : {"pipelined", "unbatched", "request-response"}) {
      if (std::find(styles.begin(), styles.end(), name) == styles.end()) continue;
      const Style style{name == "pipelined", name == "request-response"};
      if (!qlab_address.empty()) {
        const auto [host, port] = address(qlab_address);
        measure("qlab" + style.suffix(), [&] { return std::make_unique<QlabDriver>(host, port, load, style); });
      }
      if (!beanstalkd_address.empty() && name != "unbatched") {
        const auto [host, port] = address(beanstalkd_address);
        measure("beanstalkd" + style.suffix(), [&] { return std::make_unique<BeanstalkDriver>(host, port, load, style); });
      }
      if (!redis_address.empty()) {
        const auto [host, port] = address(redis_address);
        measure("redis" + style.suffix(), [&] { return std::make_unique<RedisDriver>(host, port, load, style); });
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qlab_live_bench: %s\n", e.what());
    return 1;
  }
  const std::string table = report(outcomes, load, repeat, load_before);
  std::fputs(table.c_str(), stdout);
  if (!out_file.empty()) {
    std::ofstream file(out_file);
    file << table;
    if (!file) {
      std::fprintf(stderr, "qlab_live_bench: cannot write %s\n", out_file.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace qlab::bench

int main(int argc, char** argv) { return qlab::bench::main_impl(argc, argv); }
