#include "fault_proxy.hpp"

#include <chrono>
#include <csignal>
#include <deque>
#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/random_stream.hpp"
#include "live/live_worker.hpp"

namespace qlab::live {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// What the control port set; shared by every connection (single-threaded).
struct Faults {
  Time partition_until = 0;
  struct Delay {
    Time until = 0;
    bool up = false;
    bool down = false;
    Distribution extra;
  };
  std::vector<Delay> delays;
  RandomStream rng;
  std::vector<std::shared_ptr<asio::steady_timer>> wakers;  // writers to re-check when faults change

  Time extra_for(bool up, Time now) {
    Time extra = 0;
    for (const Delay& d : delays) {
      if (d.until > now && (up ? d.up : d.down)) extra += d.extra.sample(rng);
    }
    return extra;
  }
};

Clock::time_point at(Time monotonic) {
  return Clock::now() + std::chrono::nanoseconds(monotonic - monotonic_now());
}

// One direction of one connection: a reader stamping each chunk with its release time, a writer holding it
// until then (and while a partition lasts).
using Socket = std::shared_ptr<tcp::socket>;

asio::awaitable<void> pump(Socket from, Socket to, bool up, Faults& faults, std::shared_ptr<asio::steady_timer> wake) {
  struct Chunk {
    Time release;
    std::vector<char> bytes;
  };
  auto queue = std::make_shared<std::deque<Chunk>>();
  auto reading = std::make_shared<bool>(true);
  auto writer = [to, queue, reading, wake, &faults]() -> asio::awaitable<void> {
    for (;;) {
      const Time now = monotonic_now();
      if (queue->empty()) {
        if (!*reading) break;
        wake->expires_at(Clock::time_point::max());
      } else if (faults.partition_until > now || queue->front().release > now) {
        wake->expires_at(at(std::max(faults.partition_until, queue->front().release)));
      } else {
        boost::system::error_code ec;
        co_await asio::async_write(*to, asio::buffer(queue->front().bytes), asio::redirect_error(asio::use_awaitable, ec));
        queue->pop_front();
        if (ec) break;
        continue;
      }
      boost::system::error_code ec;
      co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    boost::system::error_code ec;
    to->shutdown(tcp::socket::shutdown_send, ec);
  };
  asio::co_spawn(to->get_executor(), writer, asio::detached);
  std::vector<char> buffer(64 * 1024);
  Time last_release = 0;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await from->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const Time now = monotonic_now();
    last_release = std::max(last_release, now + faults.extra_for(up, now));  // in order
    queue->push_back({last_release, std::vector<char>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n))});
    wake->cancel();
  }
  *reading = false;
  wake->cancel();
}

asio::awaitable<void> relay(tcp::socket client, const FaultProxyConfig& config, Faults& faults) {
  auto executor = client.get_executor();
  auto upstream = std::make_shared<tcp::socket>(executor);
  auto downstream = std::make_shared<tcp::socket>(std::move(client));
  boost::system::error_code ec;
  const tcp::endpoint broker(asio::ip::make_address(config.upstream_host, ec), config.upstream_port);
  co_await upstream->async_connect(broker, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;  // the client sees its connection close: the broker is down
  upstream->set_option(tcp::no_delay(true), ec);
  auto wake_up = std::make_shared<asio::steady_timer>(executor);
  auto wake_down = std::make_shared<asio::steady_timer>(executor);
  faults.wakers.push_back(wake_up);
  faults.wakers.push_back(wake_down);
  asio::co_spawn(executor, pump(upstream, downstream, false, faults, wake_down), asio::detached);
  co_await pump(downstream, upstream, true, faults, wake_up);
}

asio::awaitable<void> control_session(tcp::socket socket, Faults& faults) {
  asio::streambuf in;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await asio::async_read_until(socket, in, '\n', asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string line(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n));
    in.consume(n);
    nlohmann::json reply = {{"ok", true}};
    try {
      const nlohmann::json request = nlohmann::json::parse(line);
      const std::string op = request.at("op");
      const Time until = monotonic_now() + request.at("duration_ns").get<Time>();
      if (op == "partition") {
        faults.partition_until = std::max(faults.partition_until, until);
      } else if (op == "delay") {
        faults.delays.push_back({until, request.value("up", false), request.value("down", false),
                                 distribution_from_wire(request.at("extra"))});
      } else {
        throw std::invalid_argument("unknown op '" + op + "'");
      }
      for (auto& waker : faults.wakers) waker->cancel();
    } catch (const std::exception& e) {
      reply = {{"ok", false}, {"error", e.what()}};
    }
    const std::string text = reply.dump() + "\n";
    co_await asio::async_write(socket, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

nlohmann::json distribution_to_wire(const Distribution& d) {
  return {{"kind", Distribution::kind_name(d.kind())}, {"a", d.a()}, {"b", d.b()}};
}

Distribution distribution_from_wire(const nlohmann::json& j) {
  const std::string kind = j.at("kind");
  const double a = j.at("a");
  const double b = j.at("b");
  if (kind == "constant") return Distribution::constant(a);
  if (kind == "exponential") return Distribution::exponential(a);
  if (kind == "uniform") return Distribution::uniform(a, b);
  if (kind == "lognormal") return Distribution::lognormal(a, b);
  if (kind == "pareto") return Distribution::pareto(a, b);
  if (kind == "erlang") return Distribution::erlang(static_cast<std::uint32_t>(b), a);
  throw std::invalid_argument("unknown distribution '" + kind + "'");
}

void run_fault_proxy(const FaultProxyConfig& config) {
  asio::io_context io{1};
  Faults faults{0, {}, RandomStream::derive(config.seed, "live/fault-proxy"), {}};
  const auto address = asio::ip::make_address(config.address);
  tcp::acceptor traffic(io, tcp::endpoint(address, 0));
  tcp::acceptor control(io, tcp::endpoint(address, 0));
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
      tcp::socket client = co_await traffic.async_accept(asio::use_awaitable);
      client.set_option(tcp::no_delay(true));
      asio::co_spawn(io, relay(std::move(client), config, faults), asio::detached);
    }
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
      tcp::socket socket = co_await control.async_accept(asio::use_awaitable);
      asio::co_spawn(io, control_session(std::move(socket), faults), asio::detached);
    }
  }, asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  if (config.on_listening) config.on_listening(traffic.local_endpoint().port(), control.local_endpoint().port());
  io.run();
}

}  // namespace qlab::live
