#include "broker.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <array>
#include <chrono>
#include <optional>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/units.hpp"
#include "live/record_file.hpp"

namespace qlab::live {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

class Session;

// What a Session needs from the server: the state, the clock, the timer, and its own removal.
class Server {
 public:
  virtual ~Server() = default;
  virtual BrokerState& state() = 0;
  virtual Time now() const = 0;
  virtual void rearm() = 0;
  virtual void forget(Session* session) = 0;
  virtual void socket_closed() = 0;  // one of the accepted sockets was closed
  virtual void log(const std::string& line) = 0;
  virtual std::size_t max_write_queue() const = 0;
};

// Read buffers start small (an idle or unauthenticated connection costs little) and grow, as bytes
// arrive, to hold the frame being read: at most kReadBuffer beyond a frame's size.
constexpr std::size_t kSmallBuffer = 4096;
constexpr std::size_t kReadBuffer = 64 * 1024;

// The DELIVER frames among the whole frames in `bytes`.
std::uint64_t count_delivers(std::span<const std::uint8_t> bytes) {
  std::uint64_t count = 0;
  for (std::size_t at = 0; at + kHeaderSize <= bytes.size();) {
    if (bytes[at + 3] == static_cast<std::uint8_t>(FrameType::deliver)) ++count;
    std::size_t length = 0;
    for (int i = 0; i < 4; ++i) length |= static_cast<std::size_t>(bytes[at + 8 + static_cast<std::size_t>(i)]) << (8 * i);
    at += kHeaderSize + length;
  }
  return count;
}

// One connection: a reader coroutine that cuts the byte stream into frames for the state, and a writer
// coroutine that sleeps on a timer until deliver() queues bytes. No protocol logic beyond framing.
class Session final : public Peer, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server& server)
      : socket_(std::move(socket)), wake_(socket_.get_executor()), server_(server) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    peer_name_ = ec ? std::string("unknown peer") : remote.address().to_string() + ":" + std::to_string(remote.port());
    socket_.set_option(tcp::no_delay(true), ec);
    wake_.expires_at(Clock::time_point::max());
    opened_at_ = last_frame_ = server_.now();
  }

  void start() {
    id_ = server_.state().open(*this, peer_name_);
    auto self = shared_from_this();
    asio::co_spawn(socket_.get_executor(), [self] { return self->read_loop(); }, asio::detached);
    asio::co_spawn(socket_.get_executor(), [self] { return self->write_loop(); }, asio::detached);
  }

  void deliver(std::span<const std::uint8_t> frames) override {
    if (dead_) {  // the connection is gone but the state has not heard yet: these frames are never sent
      server_.state().note_unsent(id_, count_delivers(frames));
      return;
    }
    if (pending_.size() + writing_.size() + frames.size() > server_.max_write_queue()) {
      server_.log(label() + ": write queue exceeded " + format_size(static_cast<std::int64_t>(server_.max_write_queue())) +
                  " (" + std::to_string(pending_.size() + writing_.size()) +
                  " bytes unsent): the client is not reading; disconnecting");
      server_.state().note_slow_reader();
      server_.state().note_unsent(id_, count_delivers(frames));
      kill();
      return;
    }
    pending_.insert(pending_.end(), frames.begin(), frames.end());
    wake_.cancel();
  }

  // Broker shutdown: close without flushing.
  void kill() {
    if (dead_) return;
    dead_ = true;
    server_.socket_closed();
    server_.state().note_unsent(id_, count_delivers(pending_) + count_delivers(writing_));
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    wake_.cancel();
  }

  // The handshake and idle timeouts (BrokerConfig); 0 disables one.
  void check_timeouts(Time now, Time handshake_timeout, Time idle_timeout) {
    if (dead_ || closing_) return;
    if (!authenticated_) {
      if (handshake_timeout > 0 && now - opened_at_ > handshake_timeout) {
        server_.state().note_timeout();
        close_with(ErrorCode::timed_out, "no HELLO within " + format_duration(handshake_timeout));
      }
      return;
    }
    if (idle_timeout > 0 && now - last_frame_ > idle_timeout && server_.state().idle(id_)) {
      server_.state().note_timeout();
      close_with(ErrorCode::timed_out, "idle for " + format_duration(idle_timeout) + " with nothing in flight");
    }
  }

 private:
  std::string label() const { return peer_name_ + " (session " + std::to_string(id_) + ")"; }

  asio::awaitable<void> read_loop() {
    std::vector<std::uint8_t> in(kSmallBuffer);
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t frame_size = 0;  // of the frame being read, once its header came
    bool ok = true;
    while (ok && !dead_ && !closing_) {
      // Parse every whole frame already buffered.
      frame_size = 0;
      while (ok) {
        const std::size_t have = end - begin;
        if (have < kHeaderSize) break;
        FrameHeader header;
        try {
          header = decode_header(std::span<const std::uint8_t, kHeaderSize>(in.data() + begin, kHeaderSize));
          if (!authenticated_ && header.body_length > kMaxHelloBodyLength) {
            throw ProtocolError(ErrorCode::frame_too_large,
                                "body length " + std::to_string(header.body_length) + " before HELLO was accepted (at most " +
                                    std::to_string(kMaxHelloBodyLength) + " until then)");
          }
        } catch (const ProtocolError& e) {
          refuse_header(e);
          ok = false;
          break;
        }
        const std::size_t total = kHeaderSize + header.body_length;
        if (have < total) {
          frame_size = total;
          break;
        }
        const auto verdict = server_.state().on_frame(
            server_.now(), id_, header, std::span<const std::uint8_t>(in.data() + begin + kHeaderSize, header.body_length));
        server_.rearm();
        last_frame_ = server_.now();
        authenticated_ = authenticated_ || server_.state().greeted(id_);
        begin += total;
        if (verdict == BrokerState::Verdict::close) {
          ok = false;
          closing_ = true;
          wake_.cancel();
        }
      }
      if (!ok || dead_ || closing_) break;
      // Room for the next read: the buffer grows with the bytes that came (never to a size a header only
      // announced), and shrinks back once a large frame is done.
      if (begin == end) {
        begin = end = 0;
        if (in.size() > kReadBuffer) std::vector<std::uint8_t>(kSmallBuffer).swap(in);
      } else if (begin > 0 && (in.size() - end < kSmallBuffer || end == in.size())) {
        std::copy(in.begin() + static_cast<std::ptrdiff_t>(begin), in.begin() + static_cast<std::ptrdiff_t>(end),
                  in.begin());
        end -= begin;
        begin = 0;
      }
      if (end == in.size()) in.resize(std::min(in.size() * 2, std::max(kReadBuffer, frame_size)));
      boost::system::error_code ec;
      const std::size_t n = co_await socket_.async_read_some(asio::buffer(in.data() + end, in.size() - end),
                                                             asio::redirect_error(asio::use_awaitable, ec));
      end += n;
      if (ec) {
        if (dead_ || closing_) break;
        const std::size_t have = end - begin;
        if (ec == asio::error::eof && have == 0) {
          // an orderly close between frames
        } else if (ec == asio::error::eof) {
          server_.state().note_protocol_error();
          server_.log(label() + ": connection closed mid-frame (" + std::to_string(have) + " bytes of an incomplete " +
                      (have < kHeaderSize ? std::string("header") : std::string("frame")) + " discarded)");
        } else {
          server_.log(label() + ": read failed: " + ec.message());
        }
        break;
      }
    }
    leave();
  }

  void refuse_header(const ProtocolError& e) {
    server_.state().note_protocol_error();
    close_with(e.code, e.what());
  }

  // Queues a fatal ERROR, stops reading, and closes once it is flushed.
  void close_with(ErrorCode code, const std::string& text) {
    server_.log(label() + ": " + std::string(error_code_name(code)) + ": " + text + "; closing the connection");
    std::vector<std::uint8_t> frame;
    append_error(frame, Error{code, true, 0, text});
    deliver(frame);
    closing_ = true;
    wake_.cancel();
  }

  asio::awaitable<void> write_loop() {
    while (!dead_) {
      if (pending_.empty()) {
        if (closing_) {
          boost::system::error_code ec;
          socket_.shutdown(tcp::socket::shutdown_send, ec);
          // Linger for the client's close (bounded) so the ERROR frame is not lost to a reset; the reader
          // seeing that close ends the wait (leave()).
          if (!read_done_) {
            wake_.expires_after(std::chrono::seconds(2));
            co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          }
          kill();
          break;
        }
        boost::system::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      writing_.swap(pending_);
      boost::system::error_code ec;
      co_await asio::async_write(socket_, asio::buffer(writing_), asio::redirect_error(asio::use_awaitable, ec));
      writing_.clear();
      if (writing_.capacity() > 16 * kReadBuffer) writing_.shrink_to_fit();  // after a burst to a slow reader
      if (ec) {
        if (!dead_) server_.log(label() + ": write failed: " + ec.message());
        kill();
        break;
      }
    }
  }

  // The connection is over for the state: idempotent, and never called from inside the state.
  void leave() {
    if (left_) return;
    left_ = true;
    read_done_ = true;
    if (closing_) {
      wake_.cancel();  // the writer lingers for this close: its socket can go now
    } else {
      kill();  // first: what it still had queued is counted as never sent
    }
    server_.state().close(server_.now(), id_);
    server_.rearm();
    server_.forget(this);
  }

  tcp::socket socket_;
  asio::steady_timer wake_;
  Server& server_;
  std::string peer_name_;
  std::uint32_t id_ = 0;
  Time opened_at_ = 0;
  Time last_frame_ = 0;          // when the last whole frame came
  bool authenticated_ = false;   // HELLO accepted
  std::vector<std::uint8_t> pending_;
  std::vector<std::uint8_t> writing_;
  bool closing_ = false;  // flush what is queued, then close
  bool dead_ = false;     // socket closed; deliver() drops
  bool left_ = false;
  bool read_done_ = false;  // the reader ended (the client closed, or the connection failed)
};

}  // namespace

struct Broker::Impl final : Server {
  explicit Impl(BrokerConfig c)
      : config(std::move(c)),
        info(find_design_or_throw(config.design)),
        start(Clock::now()),
        core(*info, with_defaults(*info, config.params), config.token, config.seed,
              [this](const std::string& line) { log(line); }, config.first_message_id, config.incarnation),
        acceptor(io),
        timer(io),
        signals(io) {
    if (!config.records.empty()) {
      records.emplace(config.records);
      // Broker time is ns since `start`; records are in steady-clock ns like every other records file.
      const Time origin = std::chrono::duration_cast<std::chrono::nanoseconds>(start.time_since_epoch()).count();
      core.record_to([this, origin](const BrokerRecord& r) {
        records->line("%c,%llu,%u,%lld\n", static_cast<char>(r.kind), static_cast<unsigned long long>(r.message), r.count,
                      static_cast<long long>(origin + r.now));
      });
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(config.address, ec);
    if (ec) throw std::runtime_error("bad listen address '" + config.address + "': " + ec.message());
    const tcp::endpoint endpoint(address, config.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint, ec);
    if (ec) throw std::runtime_error("cannot listen on " + config.address + ":" + std::to_string(config.port) + ": " + ec.message());
    acceptor.listen(asio::socket_base::max_listen_connections);
    if (config.max_connections == 0) config.max_connections = default_max_connections();
    if (config.max_queue_bytes == 0) config.max_queue_bytes = default_max_queue_bytes();
    core.set_max_queue_bytes(config.max_queue_bytes);
  }

  static const DesignInfo* find_design_or_throw(const std::string& name) {
    const DesignInfo* found = find_design(name);
    if (found == nullptr) throw std::invalid_argument("unknown design '" + name + "' (qlab designs lists them)");
    return found;
  }

  BrokerState& state() override { return core; }
  Time now() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  }
  std::size_t max_write_queue() const override { return config.max_write_queue; }
  void log(const std::string& line) override {
    if (config.log) {
      config.log(line);
    } else {
      std::fprintf(stderr, "qlab broker: %s\n", line.c_str());
    }
  }
  void socket_closed() override { --open_sockets; }
  void forget(Session* session) override {
    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
      if (it->get() == session) {
        sessions.erase(it);
        return;
      }
    }
  }
  void rearm() override {
    const Time deadline = core.next_deadline();
    if (deadline < armed) {
      armed = deadline;
      timer.expires_at(to_time_point(deadline));  // wakes timer_loop, which re-arms
    }
  }
  Clock::time_point to_time_point(Time t) const {
    return t == kNever ? Clock::time_point::max() : start + std::chrono::nanoseconds(t);
  }

  asio::awaitable<void> accept_loop() {
    asio::steady_timer backoff(io);
    Time delay = 0;
    while (!stopped) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped) break;
      if (ec) {
        accept_failures.note(now(), [&](std::uint64_t n) {
          log("accept failed: " + ec.message() + " (" + std::to_string(n) + " time(s) in the last second; " +
              std::to_string(open_sockets) + " connections held)");
        });
        // Out of descriptors or memory, retrying at once would spin: wait, longer each time (1 s at most).
        // (errno values compared as such: comparing with errc conditions trips UBSan's vptr check in Boost 1.74)
        const int e = ec.value();
        if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
          delay = std::clamp<Time>(delay * 2, 10 * kMillisecond, kSecond);
          backoff.expires_after(std::chrono::nanoseconds(delay));
          co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      delay = 0;
      // Sockets, not sessions: a session that ended may still hold its socket while its ERROR drains.
      if (open_sockets >= config.max_connections) {
        refuse_connection(socket);
        continue;
      }
      ++open_sockets;
      auto session = std::make_shared<Session>(std::move(socket), *this);
      sessions.push_back(session);
      session->start();
    }
  }

  // Over --max-connections: one ERROR and a close, without a session (the ERROR fits an empty send buffer).
  void refuse_connection(tcp::socket& socket) {
    core.note_connection_refused();
    refusals.note(now(), [&](std::uint64_t n) {
      log("refused " + std::to_string(n) + " connection(s) in the last second: " + std::to_string(config.max_connections) +
          " held (--max-connections)");
    });
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    // What the client already sent is read first, so the close is a FIN (a reset could discard the ERROR).
    std::array<std::uint8_t, 4096> sink{};
    for (int i = 0; i < 16 && !ec; ++i) socket.read_some(asio::buffer(sink), ec);
    std::vector<std::uint8_t> frame;
    append_error(frame, Error{ErrorCode::too_many_connections, true, 0,
                              "the broker holds its maximum of " + std::to_string(config.max_connections) + " connections"});
    socket.write_some(asio::buffer(frame), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }

  // Closes connections past the handshake or idle timeout.
  asio::awaitable<void> sweep_loop() {
    Time shortest = kSecond;
    for (const Time t : {config.handshake_timeout, config.idle_timeout}) {
      if (t > 0) shortest = std::min(shortest, t);
    }
    asio::steady_timer tick(io);
    while (!stopped) {
      tick.expires_after(std::chrono::nanoseconds(std::max<Time>(shortest / 4, 10 * kMillisecond)));
      boost::system::error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped) break;
      const Time t = now();
      auto all = sessions;
      for (auto& session : all) session->check_timeouts(t, config.handshake_timeout, config.idle_timeout);
    }
  }

  asio::awaitable<void> timer_loop() {
    while (!stopped) {
      armed = core.next_deadline();
      timer.expires_at(to_time_point(armed));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped) break;
      const Time t = now();
      if (core.next_deadline() <= t) core.on_timer(t);
    }
  }

  void shutdown(const std::string& why) {
    if (stopped) return;
    stopped = true;
    log("shutting down (" + why + "): " + core.stats_text(now()));
    boost::system::error_code ec;
    acceptor.close(ec);
    timer.cancel();
    signals.cancel(ec);
    auto all = sessions;
    for (auto& session : all) session->kill();
    io.stop();
  }

  BrokerConfig config;
  const DesignInfo* info;
  Clock::time_point start;
  asio::io_context io{1};
  BrokerState core;
  std::optional<RecordFile> records;
  tcp::acceptor acceptor;
  asio::steady_timer timer;
  asio::signal_set signals;
  Time armed = kNever;
  bool stopped = false;
  std::size_t open_sockets = 0;  // accepted and not yet closed (counted against max_connections)
  // A repeated event logged at most once a second, with how many times it happened.
  struct Throttled {
    Time logged = -kSecond;
    std::uint64_t count = 0;
    template <class Log>
    void note(Time now, Log&& log) {
      ++count;
      if (now - logged < kSecond) return;
      log(count);
      logged = now;
      count = 0;
    }
  };
  Throttled accept_failures;
  Throttled refusals;
  std::vector<std::shared_ptr<Session>> sessions;
};

Broker::Broker(BrokerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Broker::~Broker() = default;

std::uint16_t Broker::port() const { return impl_->acceptor.local_endpoint().port(); }

void Broker::run() {
  Impl& impl = *impl_;
  if (impl.config.handle_signals) {
    impl.signals.add(SIGINT);
    impl.signals.add(SIGTERM);
    impl.signals.async_wait([&impl](const boost::system::error_code& ec, int signal) {
      if (!ec) impl.shutdown("signal " + std::to_string(signal));
    });
  }
  asio::co_spawn(impl.io, [&impl] { return impl.accept_loop(); }, asio::detached);
  asio::co_spawn(impl.io, [&impl] { return impl.timer_loop(); }, asio::detached);
  asio::co_spawn(impl.io, [&impl] { return impl.sweep_loop(); }, asio::detached);
  impl.io.run();
}

void Broker::stop() {
  Impl& impl = *impl_;
  asio::post(impl.io, [&impl] { impl.shutdown("stop requested"); });
}

std::size_t default_max_connections() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 65536;
  const auto fds = static_cast<std::size_t>(limit.rlim_cur);
  const std::size_t reserve = std::max<std::size_t>(16, fds / 16);
  return fds > reserve + 1 ? std::min<std::size_t>(fds - reserve, 1u << 20) : 1;
}

std::size_t default_max_queue_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::size_t{1} << 30;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 4;
}

void apply_design_setting(const DesignInfo& design, DesignParams& params, const std::string& setting) {
  const std::size_t eq = setting.find('=');
  if (eq == std::string::npos) throw std::invalid_argument("--set " + setting + ": expected queue.KEY=VALUE");
  std::string key = setting.substr(0, eq);
  const std::string value = setting.substr(eq + 1);
  if (key.rfind("queue.", 0) == 0) key = key.substr(6);
  const ParamSpec* spec = nullptr;
  for (const ParamSpec& p : design.params) {
    if (p.name == key) spec = &p;
  }
  if (spec == nullptr) {
    std::string known;
    for (const ParamSpec& p : design.params) known += (known.empty() ? "" : ", ") + p.name;
    throw std::invalid_argument("--set " + setting + ": design '" + design.name + "' has no parameter '" + key +
                                "' (it has: " + (known.empty() ? "none" : known) + ")");
  }
  const std::string where = "--set " + setting + ": ";
  switch (spec->type) {
    case ParamSpec::Type::duration: {
      Time t = 0;
      try {
        t = parse_duration(value);
      } catch (const UnitError& e) {
        throw std::invalid_argument(where + e.what());
      }
      if (t < spec->min) throw std::invalid_argument(where + "must be at least " + format_duration(spec->min));
      params[key] = std::int64_t{t};
      break;
    }
    case ParamSpec::Type::count: {
      std::size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size() || value.empty()) throw std::invalid_argument(where + "expected a whole number");
      if (n < spec->min) throw std::invalid_argument(where + "must be at least " + std::to_string(spec->min));
      if (n > spec->max) throw std::invalid_argument(where + "must be at most " + std::to_string(spec->max));
      params[key] = std::int64_t{n};
      break;
    }
    case ParamSpec::Type::flag:
      if (value != "true" && value != "false") throw std::invalid_argument(where + "expected true or false");
      params[key] = value == "true";
      break;
    case ParamSpec::Type::choice: {
      bool known = false;
      std::string choices;
      for (const std::string& c : spec->choices) {
        known = known || c == value;
        choices += (choices.empty() ? "" : " | ") + c;
      }
      if (!known) throw std::invalid_argument(where + "expected one of " + choices);
      params[key] = value;
      break;
    }
  }
}

std::vector<std::string> design_settings(const QueueSpec& queue) {
  const DesignInfo* design = find_design(queue.design);
  if (design == nullptr) throw std::invalid_argument("queue.design: unknown design '" + queue.design + "'");
  std::vector<std::string> out;
  for (const ParamSpec& spec : design->params) {
    const auto it = queue.params.find(spec.name);
    if (it == queue.params.end()) continue;
    std::string value;
    if (const auto* n = std::get_if<std::int64_t>(&it->second)) {
      value = spec.type == ParamSpec::Type::duration ? format_duration(*n) : std::to_string(*n);
    } else if (const auto* b = std::get_if<bool>(&it->second)) {
      value = *b ? "true" : "false";
    } else {
      value = std::get<std::string>(it->second);
    }
    out.push_back("--set");
    out.push_back("queue." + spec.name + "=" + value);
  }
  return out;
}

std::vector<std::string> broker_arguments(const QueueSpec& queue, const std::string& listen, std::uint32_t incarnation) {
  std::vector<std::string> argv = {"broker", "--design", queue.design};
  for (std::string& setting : design_settings(queue)) argv.push_back(std::move(setting));
  argv.insert(argv.end(), {"--listen", listen, "--first-message-id", std::to_string((std::uint64_t{incarnation} << 40) + 1)});
  return argv;
}

}  // namespace qlab::live
