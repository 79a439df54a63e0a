#include "live/backends/beanstalkd_client.hpp"

#include <poll.h>

#include <charconv>
#include <cstdio>
#include <deque>
#include <optional>
#include <unordered_map>

#include "live/backends/backend_checks.hpp"
#include "live/backends/buffered_events.hpp"
#include "live/backends/queue_mapping.hpp"
#include "live/backends/tcp_connection.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {
namespace {

constexpr std::size_t kHeader = 32;  // message id and intended time, 16 hex digits each
constexpr Time kRetryEmpty = kMillisecond;
constexpr std::uint64_t kMaxReserves = 16;  // non-blocking reserves on their way, at most

std::string tube_name(std::optional<std::uint32_t> consumer) {
  return consumer ? "qlab-" + std::to_string(*consumer) : std::string("qlab");
}

std::uint64_t number(std::string_view text, int base = 10) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw BackendError("beanstalkd: not a number: '" + std::string(text) + "'", false);
  }
  return v;
}

class BeanstalkdClient final : public BrokerClient {
 public:
  explicit BeanstalkdClient(const ClientConfig& config)
      : connection_(config.endpoints.empty() ? Endpoint{} : config.endpoints.front(), "beanstalkd"),
        acked_(config.queue.design == "visibility_timeout"),
        ttr_seconds_(std::max<Time>(1, int_param(config.queue, "visibility_timeout", 60 * kSecond) / kSecond)),
        max_receives_(static_cast<std::uint64_t>(int_param(config.queue, "max_receives", 0))),
        reject_stale_(text_param(config.queue, "stale_ack", "reject") == "reject") {
    const bool preassigned = config.queue.design == "preassigned";
    if (config.role == ClientRole::producer) {
      if (preassigned) mapping_.emplace(config.queue, "beanstalkd");
      consumers_ = config.consumer_count;
      use(tube_name(std::nullopt));
    } else {
      command("watch " + tube_name(preassigned ? std::optional(config.consumer_index) : std::nullopt), Kind::setup);
      command("ignore default", Kind::setup);
    }
  }

  void publish(std::span<const PublishRequest> batch) override {
    for (const PublishRequest& r : batch) {
      if (mapping_) use(tube_name(mapping_->assign(r.message_id, r.key, turn_++, consumers_)));
      char head[96];
      const int n = std::snprintf(head, sizeof head, "put 0 0 %lld %zu\r\n%016llx%016llx", static_cast<long long>(ttr_seconds_),
                                  kHeader + r.payload.size(), static_cast<unsigned long long>(r.message_id),
                                  static_cast<unsigned long long>(r.intended));
      connection_.append(std::string_view(head, static_cast<std::size_t>(n)));
      connection_.append(r.payload);
      connection_.append("\r\n");
      pending_.push_back({Kind::put, r.client_seq, r.message_id});
      ++settling_;
    }
  }

  void pull(std::uint32_t count) override { credit_ += count; }

  void ack(std::uint64_t receipt) override { settle(receipt, "delete ", ""); }
  void release(std::uint64_t receipt) override { settle(receipt, "release ", " 0 0"); }
  void extend(std::uint64_t receipt, Time) override { settle(receipt, "touch ", ""); }

  std::size_t poll(Time timeout, BrokerEvents& events) override {
    const Time deadline = monotonic_now() + timeout;
    std::size_t n = kept_.replay(events);
    for (;;) {
      request_jobs();
      connection_.send();
      const Time now = monotonic_now();
      Time wait = n > 0 ? 0 : deadline - now;
      if (tube_empty_ && reserving_ == 0 && held_.size() + stats_pending_ > 0 && free_credit() > 0) {
        wait = std::min(wait, retry_at_ - now);
      }
      if (connection_.wait_and_read(std::max<Time>(0, wait))) n += parse(events);
      if (n > 0 || monotonic_now() >= deadline) return n;
    }
  }

  void flush(Time timeout) override {
    const Time deadline = monotonic_now() + timeout;
    for (connection_.send(); settling_ > 0; connection_.send()) {  // replies may ask for more (stats-job)
      if (monotonic_now() >= deadline) throw BackendError("beanstalkd: flush timed out", false);
      if (connection_.wait_and_read(deadline - monotonic_now())) parse(kept_);
    }
  }

 private:
  enum class Kind { setup, put, reserve, stats, remove, settle, bury };
  struct Pending {
    Kind kind;
    std::uint64_t a = 0;  // put: client_seq; stats, remove, bury: job id; settle: receipt
    std::uint64_t b = 0;  // put: message id; stats: message id
    Time intended = 0;    // stats
  };

  void command(const std::string& line, Kind kind, std::uint64_t a = 0) {
    connection_.append(line);
    connection_.append("\r\n");
    pending_.push_back({kind, a, 0});
    if (kind != Kind::reserve) ++settling_;
  }

  void use(const std::string& tube) {
    if (tube == tube_) return;
    tube_ = tube;
    command("use " + tube, Kind::setup);
  }

  std::uint64_t free_credit() const {
    const std::uint64_t taken = reserving_ + stats_pending_;
    return credit_ > taken ? credit_ - taken : 0;
  }

  void settle(std::uint64_t receipt, const char* verb, const char* tail) {
    const auto it = held_.find(receipt);
    if (it == held_.end()) {
      if (acked_ && reject_stale_) kept_.on_warning("beanstalkd: stale receipt " + std::to_string(receipt));
      return;
    }
    command(verb + std::to_string(it->second) + tail, Kind::settle, receipt);
    if (verb != std::string_view("touch ")) {
      by_job_.erase(it->second);
      held_.erase(it);
    }
  }

  // A blocking reserve only while this connection holds no job (nothing can queue behind it then); else
  // non-blocking ones: as many as the credit while the tube had jobs, one per kRetryEmpty once it was empty.
  void request_jobs() {
    std::uint64_t free = free_credit();
    if (free == 0 || blocking_) return;
    if (tube_empty_) {
      if (reserving_ > 0) return;
      if (held_.empty() && stats_pending_ == 0) {
        blocking_ = true;
        ++reserving_;
        command("reserve", Kind::reserve);
        return;
      }
      if (monotonic_now() < retry_at_) return;
      free = 1;
    }
    for (free = std::min(free, kMaxReserves - std::min(kMaxReserves, reserving_)); free > 0; --free) {
      ++reserving_;
      command("reserve-with-timeout 0", Kind::reserve);
    }
  }

  // Handles every complete reply in the input; returns how many events it reported.
  std::size_t parse(BrokerEvents& events) {
    std::size_t n = 0;
    for (;;) {
      const std::string_view in = connection_.input();
      const std::size_t eol = in.find("\r\n");
      if (eol == std::string_view::npos) return n;
      const std::string_view line = in.substr(0, eol);
      std::string_view body;
      std::size_t used = eol + 2;
      if (line.starts_with("RESERVED ") || line.starts_with("OK ")) {
        const std::size_t space = line.rfind(' ');
        const std::uint64_t bytes = number(line.substr(space + 1));
        if (in.size() < used + bytes + 2) return n;
        body = in.substr(used, bytes);
        used += bytes + 2;
      }
      if (pending_.empty()) throw BackendError("beanstalkd: a reply to no command: " + std::string(line), false);
      const Pending p = pending_.front();
      pending_.pop_front();
      if (p.kind != Kind::reserve) --settling_;
      n += on_reply(p, line, body, events);
      connection_.consume(used);
    }
  }

  std::size_t on_reply(const Pending& p, std::string_view line, std::string_view body, BrokerEvents& events) {
    switch (p.kind) {
      case Kind::setup:
        if (!line.starts_with("USING ") && !line.starts_with("WATCHING ")) fail(line);
        return 0;
      case Kind::put:
        // BURIED (out of memory), JOB_TOO_BIG, DRAINING: refused.
        events.on_published(PublishResult{p.a, p.b, line.starts_with("INSERTED ")});
        return 1;
      case Kind::reserve:
        return on_reserved(line, body, events);
      case Kind::stats:
        return on_stats(p, line, body, events);
      case Kind::remove:
      case Kind::bury:
        return 0;
      case Kind::settle:
        if (line == "NOT_FOUND" && reject_stale_) {
          events.on_warning("beanstalkd: stale receipt " + std::to_string(p.a));
          return 1;
        }
        if (line != "DELETED" && line != "RELEASED" && line != "TOUCHED" && line != "NOT_FOUND") fail(line);
        return 0;
    }
    return 0;
  }

  std::size_t on_reserved(std::string_view line, std::string_view body, BrokerEvents& events) {
    --reserving_;
    blocking_ = false;
    if (line == "TIMED_OUT" || line == "DEADLINE_SOON") {
      tube_empty_ = true;
      retry_at_ = monotonic_now() + kRetryEmpty;
      return 0;
    }
    if (!line.starts_with("RESERVED ") || body.size() < kHeader) fail(line);
    tube_empty_ = false;
    const std::string_view rest = line.substr(9);
    const std::uint64_t job = number(rest.substr(0, rest.find(' ')));
    const std::uint64_t message_id = number(body.substr(0, 16), 16);
    const auto intended = static_cast<Time>(number(body.substr(16, 16), 16));
    if (!acked_) {
      command("delete " + std::to_string(job), Kind::remove);
      return deliver(job, message_id, 1, intended, events);
    }
    // The receive count comes with the job's statistics.
    ++stats_pending_;
    command("stats-job " + std::to_string(job), Kind::stats, job);
    pending_.back().b = message_id;
    pending_.back().intended = intended;
    return 0;
  }

  std::size_t on_stats(const Pending& p, std::string_view line, std::string_view yaml, BrokerEvents& events) {
    --stats_pending_;
    if (line == "NOT_FOUND") return 0;  // gone meanwhile (its TTR ran out and another consumer took it)
    if (!line.starts_with("OK ")) fail(line);
    const std::size_t at = yaml.find("\nreserves: ");
    if (at == std::string_view::npos) fail("stats-job without reserves");
    const std::string_view value = yaml.substr(at + 11, yaml.find('\n', at + 11) - at - 11);
    const std::uint64_t reserves = number(value);
    if (max_receives_ > 0 && reserves > max_receives_) {
      command("bury " + std::to_string(p.a) + " 0", Kind::bury, p.a);
      return 0;
    }
    return deliver(p.a, p.b, static_cast<std::uint32_t>(reserves), p.intended, events);
  }

  std::size_t deliver(std::uint64_t job, std::uint64_t message_id, std::uint32_t count, Time intended, BrokerEvents& events) {
    const std::uint64_t receipt = next_receipt_++;
    if (acked_) {
      // The same job reserved again on this connection: the older receipt is stale.
      if (const auto old = by_job_.find(job); old != by_job_.end()) held_.erase(old->second);
      by_job_[job] = receipt;
      held_.emplace(receipt, job);
    }
    credit_ -= std::min<std::uint64_t>(credit_, 1);
    events.on_delivery(Delivery{message_id, receipt, count, intended});
    return 1;
  }

  [[noreturn]] static void fail(std::string_view line) {
    throw BackendError("beanstalkd: unexpected reply '" + std::string(line) + "'", false);
  }

  TcpConnection connection_;
  bool acked_;
  Time ttr_seconds_;
  std::uint64_t max_receives_;
  bool reject_stale_;
  std::optional<QueueMapping> mapping_;  // preassigned producers: which consumer a message goes to
  std::uint32_t consumers_ = 0;
  std::uint64_t turn_ = 0;               // round_robin: this producer's messages so far
  std::string tube_;
  std::deque<Pending> pending_;
  std::size_t settling_ = 0;       // pending replies other than reserves (flush waits for them)
  std::uint64_t credit_ = 0;
  std::uint64_t reserving_ = 0;    // reserves on their way
  std::uint64_t stats_pending_ = 0;
  bool blocking_ = false;          // a blocking reserve is on its way
  bool tube_empty_ = true;         // the last reserve found nothing (or none was sent yet)
  Time retry_at_ = 0;
  std::uint64_t next_receipt_ = 1;
  std::unordered_map<std::uint64_t, std::uint64_t> held_;    // receipt -> job
  std::unordered_map<std::uint64_t, std::uint64_t> by_job_;  // job -> its current receipt
  BufferedEvents kept_;
};

}  // namespace

std::unique_ptr<BrokerClient> connect_beanstalkd(const ClientConfig& config) {
  if (config.endpoints.empty()) throw BackendError("beanstalkd: no server endpoint", false);
  return std::make_unique<BeanstalkdClient>(config);
}

}  // namespace qlab::live
