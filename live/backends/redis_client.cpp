#include "live/backends/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <cerrno>
#include <charconv>
#include <deque>
#include <optional>
#include <unordered_map>

#include "live/backends/backend_checks.hpp"
#include "live/backends/buffered_events.hpp"
#include "live/backends/queue_mapping.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

const std::string kGroup = "qlab";
const std::string kDeadLetters = "qlab:dead";

std::string stream_key(std::optional<std::uint32_t> consumer) {
  return consumer ? "qlab:queue:" + std::to_string(*consumer) : std::string("qlab:queue");
}

// KEYS: the stream, the dead-letter stream. ARGV: group, consumer, timeout ms, max receives (0: unlimited),
// how many. Claims entries idle for the timeout, or dead-letters them when delivered max receives times.
// Returns {id, delivery count, fields} per claimed entry.
constexpr const char* kScanScript = R"lua(
local out = {}
local limit = tonumber(ARGV[4])
for _, p in ipairs(redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], '-', '+', ARGV[5])) do
  local entry = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], p[1])[1]
  if entry then
    if limit > 0 and p[4] >= limit then
      local fields = entry[2]
      fields[#fields + 1] = 'source'
      fields[#fields + 1] = p[1]
      redis.call('XADD', KEYS[2], '*', unpack(fields))
      redis.call('XACK', KEYS[1], ARGV[1], p[1])
      redis.call('XDEL', KEYS[1], p[1])
    else
      out[#out + 1] = {p[1], p[4] + 1, entry[2]}
    end
  end
end
return out
)lua";

// KEYS: the stream. ARGV: group, consumer, id, delivery count, ack|release|extend, idle ms to set, timeout ms.
// 1 when the receipt was current and the operation done, 0 when stale.
constexpr const char* kSettleScript = R"lua(
local e = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)[1]
if not e or e[2] ~= ARGV[2] or e[4] ~= tonumber(ARGV[4]) or e[3] >= tonumber(ARGV[7]) then return 0 end
if ARGV[5] == 'ack' then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
  redis.call('XDEL', KEYS[1], ARGV[3])
else
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[6], 'JUSTID')
end
return 1
)lua";

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string_view text(const redisReply* r) { return {r->str, r->len}; }

std::uint64_t to_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) throw BackendError("redis: not a number: " + std::string(s), false);
  return v;
}

// One hiredis connection driven asynchronously: commands are appended and written by send(); replies are
// read when poll() says the socket is readable, and come back in command order.
class Connection {
 public:
  explicit Connection(const Endpoint& e) {
    timeval tv{10, 0};
    c_ = redisConnectWithTimeout(e.host.c_str(), e.port, tv);
    if (c_ == nullptr || c_->err != 0) {
      const std::string why = c_ != nullptr ? c_->errstr : "out of memory";
      if (c_ != nullptr) redisFree(c_);
      throw BackendError("redis: cannot connect to " + e.host + ":" + std::to_string(e.port) + ": " + why, true);
    }
  }
  ~Connection() { redisFree(c_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return c_->fd; }
  std::size_t pending() const { return pending_; }

  void append(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) fail();
    ++pending_;
  }

  void send() {
    int done = 0;
    while (done == 0) {
      if (redisBufferWrite(c_, &done) != REDIS_OK) fail();
    }
  }

  // One read of what the socket has (call when it is readable).
  void read_available() {
    if (redisBufferRead(c_) != REDIS_OK) fail();
  }

  // The next complete reply already read, or null.
  Reply next() {
    void* r = nullptr;
    if (redisGetReplyFromReader(c_, &r) != REDIS_OK) fail();
    if (r != nullptr) --pending_;
    return Reply(static_cast<redisReply*>(r));
  }

  // Set-up only: sends one command and waits for its reply (no other command may be pending).
  Reply request(const std::vector<std::string>& args) {
    append(args);
    send();
    void* r = nullptr;
    if (redisGetReply(c_, &r) != REDIS_OK) fail();
    --pending_;
    return Reply(static_cast<redisReply*>(r));
  }

 private:
  [[noreturn]] void fail() { throw BackendError(std::string("redis: ") + c_->errstr, true); }

  redisContext* c_ = nullptr;
  std::size_t pending_ = 0;
};

class RedisStreamsClient final : public BrokerClient {
 public:
  explicit RedisStreamsClient(const ClientConfig& config)
      : name_(config.name.empty() ? "consumer" : config.name),
        acked_(config.queue.design == "visibility_timeout"),
        timeout_ms_(std::max<Time>(1, int_param(config.queue, "visibility_timeout", 30 * kSecond) / kMillisecond)),
        max_receives_(int_param(config.queue, "max_receives", 0)),
        reject_stale_(text_param(config.queue, "stale_ack", "reject") == "reject"),
        scan_interval_(std::clamp<Time>(timeout_ms_ * kMillisecond / 10, kMillisecond, 100 * kMillisecond)) {
    if (config.endpoints.empty()) throw BackendError("redis: no server endpoint", false);
    const bool preassigned = config.queue.design == "preassigned";
    cmd_.emplace(config.endpoints.front());
    if (config.role == ClientRole::producer) {
      if (preassigned) mapping_.emplace(config.queue, "redis");
      consumers_ = config.consumer_count;
      stream_ = stream_key(std::nullopt);
      return;
    }
    stream_ = stream_key(preassigned ? std::optional(config.consumer_index) : std::nullopt);
    read_.emplace(config.endpoints.front());
    // From id 0: entries published before the first consumer came are the group's too.
    const Reply created = cmd_->request({"XGROUP", "CREATE", stream_, kGroup, "0", "MKSTREAM"});
    if (created->type == REDIS_REPLY_ERROR && !text(created.get()).starts_with("BUSYGROUP")) {
      // A restarted server answers LOADING while it reads its append-only file: retried like a server that is
      // still down.
      throw BackendError("redis: XGROUP CREATE: " + std::string(text(created.get())),
                         text(created.get()).starts_with("LOADING"));
    }
    if (acked_) {
      scan_sha_ = load_script(kScanScript);
      settle_sha_ = load_script(kSettleScript);
    }
  }

  void publish(std::span<const PublishRequest> batch) override {
    for (const PublishRequest& r : batch) {
      const std::string key = mapping_ ? stream_key(mapping_->assign(r.message_id, r.key, turn_++, consumers_)) : stream_;
      cmd_->append({"XADD", key, "*", "i", std::to_string(r.message_id), "t", std::to_string(r.intended), "p", r.payload});
      cmd_pending_.push_back({Kind::publish, r.client_seq, r.message_id});
    }
  }

  void pull(std::uint32_t count) override { credit_ += count; }

  void ack(std::uint64_t receipt) override { settle(receipt, "ack", 0); }
  void release(std::uint64_t receipt) override { settle(receipt, "release", timeout_ms_); }
  void extend(std::uint64_t receipt, Time timeout) override {
    settle(receipt, "extend", std::max<Time>(0, timeout_ms_ - timeout / kMillisecond));
  }

  std::size_t poll(Time timeout, BrokerEvents& events) override {
    const Time deadline = monotonic_now() + timeout;
    std::size_t n = kept_.replay(events);
    for (;;) {
      request_deliveries();
      cmd_->send();
      if (read_) read_->send();
      const Time now = monotonic_now();
      Time wait = n > 0 ? 0 : deadline - now;
      if (acked_ && credit_ > reading_ + scanning_) wait = std::min(wait, next_scan_ - now);
      n += read_replies(std::max<Time>(0, wait), events);
      if (n > 0 || monotonic_now() >= deadline) return n;
    }
  }

  void flush(Time timeout) override {
    const Time deadline = monotonic_now() + timeout;
    for (cmd_->send(); cmd_->pending() > 0; cmd_->send()) {  // a delivery read meanwhile may add an XDEL
      if (monotonic_now() >= deadline) throw BackendError("redis: flush timed out", false);
      read_replies(deadline - monotonic_now(), kept_);
    }
  }

 private:
  enum class Kind { publish, settle, scan, remove };
  struct Pending {
    Kind kind;
    std::uint64_t a = 0;  // publish: client_seq; settle: receipt
    std::uint64_t b = 0;  // publish: message id
  };
  struct Held {
    std::string id;
    std::int64_t count = 1;
  };

  std::string load_script(const char* script) {
    const Reply r = cmd_->request({"SCRIPT", "LOAD", script});
    if (r->type != REDIS_REPLY_STRING) throw BackendError("redis: SCRIPT LOAD: " + std::string(text(r.get())), false);
    return std::string(text(r.get()));
  }

  void settle(std::uint64_t receipt, const char* op, Time idle_ms) {
    const auto it = held_.find(receipt);
    if (it == held_.end()) {
      if (acked_) kept_.on_warning("redis: unknown receipt " + std::to_string(receipt));
      return;
    }
    cmd_->append({"EVALSHA", settle_sha_, "1", stream_, kGroup, name_, it->second.id, std::to_string(it->second.count), op,
                  std::to_string(idle_ms), std::to_string(timeout_ms_)});
    cmd_pending_.push_back({Kind::settle, receipt, 0});
    if (op != std::string_view("extend")) held_.erase(it);
  }

  // Hands free credit to a scan for expired deliveries (when one is due) or to a blocking XREADGROUP.
  void request_deliveries() {
    if (!read_ || credit_ <= reading_ + scanning_) return;
    const Time now = monotonic_now();
    if (acked_ && scanning_ == 0 && now >= next_scan_) {
      scanning_ = credit_ - reading_;
      next_scan_ = now + scan_interval_;
      cmd_->append({"EVALSHA", scan_sha_, "2", stream_, kDeadLetters, kGroup, name_, std::to_string(timeout_ms_),
                    std::to_string(max_receives_), std::to_string(scanning_)});
      cmd_pending_.push_back({Kind::scan, 0, 0});
      return;
    }
    if (reading_ > 0) return;
    reading_ = credit_ - scanning_;
    // Blocks at most one scan interval, so credit comes back for the next scan.
    std::vector<std::string> args = {"XREADGROUP", "GROUP", kGroup, name_, "COUNT", std::to_string(reading_),
                                     "BLOCK", std::to_string(scan_interval_ / kMillisecond)};
    if (!acked_) args.emplace_back("NOACK");
    args.insert(args.end(), {"STREAMS", stream_, ">"});
    read_->append(args);
  }

  // Waits at most `wait` for either connection, and handles every complete reply.
  std::size_t read_replies(Time wait, BrokerEvents& events) {
    pollfd fds[2] = {{cmd_->fd(), POLLIN, 0}, {read_ ? read_->fd() : -1, POLLIN, 0}};
    const int rc = ::poll(fds, read_ ? 2 : 1, static_cast<int>((wait + kMillisecond - 1) / kMillisecond));
    if (rc < 0 && errno != EINTR) throw BackendError("redis: poll failed", true);
    std::size_t n = 0;
    if (rc > 0 && fds[0].revents != 0) {
      cmd_->read_available();
      while (Reply r = cmd_->next()) n += on_command_reply(*r, events);
    }
    if (rc > 0 && read_ && fds[1].revents != 0) {
      read_->read_available();
      while (Reply r = read_->next()) n += on_read_reply(*r, events);
    }
    return n;
  }

  std::size_t on_command_reply(const redisReply& r, BrokerEvents& events) {
    if (cmd_pending_.empty()) throw BackendError("redis: a reply to no command", false);
    const Pending p = cmd_pending_.front();
    cmd_pending_.pop_front();
    switch (p.kind) {
      case Kind::publish:
        // An error reply (out of memory, a read-only replica) is a refusal the producer may retry.
        events.on_published(PublishResult{p.a, p.b, r.type == REDIS_REPLY_STRING});
        return 1;
      case Kind::settle:
        if (r.type == REDIS_REPLY_ERROR) throw BackendError("redis: settle script: " + std::string(text(&r)), false);
        if (r.integer == 0 && reject_stale_) {
          events.on_warning("redis: stale receipt " + std::to_string(p.a));
          return 1;
        }
        return 0;
      case Kind::scan: {
        scanning_ = 0;
        if (r.type != REDIS_REPLY_ARRAY) throw BackendError("redis: scan script: " + std::string(text(&r)), false);
        for (std::size_t i = 0; i < r.elements; ++i) {
          const redisReply& e = *r.element[i];
          deliver(text(e.element[0]), e.element[1]->integer, *e.element[2], events);
        }
        return r.elements;
      }
      case Kind::remove:
        return 0;
    }
    return 0;
  }

  std::size_t on_read_reply(const redisReply& r, BrokerEvents& events) {
    reading_ = 0;
    if (r.type == REDIS_REPLY_NIL) return 0;  // BLOCK timed out
    if (r.type != REDIS_REPLY_ARRAY) throw BackendError("redis: XREADGROUP: " + std::string(text(&r)), false);
    std::size_t n = 0;
    for (std::size_t s = 0; s < r.elements; ++s) {
      const redisReply& entries = *r.element[s]->element[1];
      for (std::size_t i = 0; i < entries.elements; ++i) {
        const redisReply& e = *entries.element[i];
        deliver(text(e.element[0]), 1, *e.element[1], events);
        if (!acked_) {
          cmd_->append({"XDEL", stream_, std::string(text(e.element[0]))});
          cmd_pending_.push_back({Kind::remove, 0, 0});
        }
        ++n;
      }
    }
    return n;
  }

  void deliver(std::string_view id, std::int64_t count, const redisReply& fields, BrokerEvents& events) {
    Delivery d;
    d.receipt = next_receipt_++;
    d.receive_count = static_cast<std::uint32_t>(count);
    for (std::size_t f = 0; f + 1 < fields.elements; f += 2) {
      const std::string_view name = text(fields.element[f]);
      if (name == "i") d.message_id = to_u64(text(fields.element[f + 1]));
      if (name == "t") d.intended = static_cast<Time>(to_u64(text(fields.element[f + 1])));
    }
    if (acked_) held_.emplace(d.receipt, Held{std::string(id), count});
    credit_ -= std::min<std::uint64_t>(credit_, 1);
    events.on_delivery(d);
  }

  std::string name_;
  bool acked_;
  Time timeout_ms_;
  std::int64_t max_receives_;
  bool reject_stale_;
  Time scan_interval_;
  std::string stream_;
  std::optional<QueueMapping> mapping_;  // preassigned producers: which consumer a message goes to
  std::uint32_t consumers_ = 0;
  std::uint64_t turn_ = 0;               // round_robin: this producer's messages so far
  std::optional<Connection> cmd_;   // publishes, or a consumer's scans, acks, releases, extends
  std::optional<Connection> read_;  // a consumer's blocking XREADGROUP
  std::deque<Pending> cmd_pending_;
  std::string scan_sha_;
  std::string settle_sha_;
  std::uint64_t credit_ = 0;    // deliveries the worker asked for and has not had
  std::uint64_t reading_ = 0;   // of which an XREADGROUP on its way may fill
  std::uint64_t scanning_ = 0;  // of which a scan on its way may fill
  Time next_scan_ = 0;
  std::uint64_t next_receipt_ = 1;
  std::unordered_map<std::uint64_t, Held> held_;
  BufferedEvents kept_;
};

}  // namespace

std::unique_ptr<BrokerClient> connect_redis(const ClientConfig& config) {
  return std::make_unique<RedisStreamsClient>(config);
}

}  // namespace qlab::live
