#include "fault_proxy.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <deque>
#include <memory>
#include <stdexcept>
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
#include "live/protocol.hpp"

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
  struct Drop {
    Time until = 0;
    FrameType frame = FrameType::publish;
    double p = 0;
  };
  std::vector<Drop> drops;
  RandomStream rng;
  std::vector<std::shared_ptr<asio::steady_timer>> wakers;  // writers to re-check when faults change
  std::map<FrameType, std::uint64_t> dropped;               // reported when the proxy stops

  Time extra_for(bool up, Time now) {
    Time extra = 0;
    for (const Delay& d : delays) {
      if (d.until > now && (up ? d.up : d.down)) extra += d.extra.sample(rng);
    }
    return extra;
  }

  // Whether a frame of `type` read now is dropped (each drop window in force draws once).
  bool drop(FrameType type, Time now) {
    for (const Drop& d : drops) {
      if (d.until > now && d.frame == type && rng.next_open01() < d.p) {
        ++dropped[type];
        return true;
      }
    }
    return false;
  }
};

Clock::time_point at(Time monotonic) {
  return Clock::now() + std::chrono::nanoseconds(monotonic - monotonic_now());
}

using Socket = std::shared_ptr<tcp::socket>;

// One direction of one connection: the reader stamps what it read with a release time and queues it; the
// writer holds it until then (and while a partition lasts).
struct Direction {
  struct Chunk {
    Time release;
    std::vector<std::uint8_t> bytes;
  };
  std::deque<Chunk> queue;
  bool reading = true;
  Time last_release = 0;  // releases never go backwards: order is kept
  std::shared_ptr<asio::steady_timer> wake;

  void push(Time release, std::vector<std::uint8_t> bytes) {
    last_release = std::max(last_release, release);
    queue.push_back({last_release, std::move(bytes)});
    wake->cancel();
  }
};

// Both directions of a client's connection, and the client's last PULL (a dropped DELIVER renews it).
struct Link {
  Direction up;    // client -> broker
  Direction down;  // broker -> client
  Pull last_pull{1, kWaitForever, false};
};

asio::awaitable<void> write_out(Socket to, std::shared_ptr<Link> link, bool up, Faults& faults) {
  Direction& d = up ? link->up : link->down;
  for (;;) {
    const Time now = monotonic_now();
    if (d.queue.empty()) {
      if (!d.reading) break;
      d.wake->expires_at(Clock::time_point::max());
    } else if (faults.partition_until > now || d.queue.front().release > now) {
      d.wake->expires_at(at(std::max(faults.partition_until, d.queue.front().release)));
    } else {
      boost::system::error_code ec;
      co_await asio::async_write(*to, asio::buffer(d.queue.front().bytes), asio::redirect_error(asio::use_awaitable, ec));
      d.queue.pop_front();
      if (ec) break;
      continue;
    }
    boost::system::error_code ec;
    co_await d.wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  boost::system::error_code ec;
  to->shutdown(tcp::socket::shutdown_send, ec);
}

// Reads one direction, cut into whole protocol frames so a `drop` removes frames, never part of one (a torn
// TCP stream would just be garbage to the receiver). Bytes that do not parse as frames pass through as read.
asio::awaitable<void> pump(Socket from, Socket to, std::shared_ptr<Link> link, bool up, Faults& faults) {
  Direction& d = up ? link->up : link->down;
  asio::co_spawn(to->get_executor(), write_out(to, link, up, faults), asio::detached);
  std::vector<std::uint8_t> pending;
  bool framed = true;
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await from->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const Time now = monotonic_now();
    const Time release = now + faults.extra_for(up, now);
    pending.insert(pending.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<std::uint8_t> out;
    std::size_t pos = 0;
    while (framed && pending.size() - pos >= kHeaderSize) {
      FrameHeader header;
      try {
        header = decode_header(std::span<const std::uint8_t, kHeaderSize>(pending.data() + pos, kHeaderSize));
      } catch (const ProtocolError&) {
        framed = false;  // not our protocol (or garbage): the broker will say so; just forward it
        break;
      }
      const std::size_t size = kHeaderSize + header.body_length;
      if (pending.size() - pos < size) break;
      const std::span<const std::uint8_t> body(pending.data() + pos + kHeaderSize, header.body_length);
      if (up && header.type == FrameType::pull) {
        try {
          link->last_pull = decode_pull(header.flags, body);
        } catch (const ProtocolError&) {
        }
      }
      if (faults.drop(header.type, now)) {
        // The lost DELIVER used a unit of the consumer's credit that the consumer still counts as open: its
        // pull is renewed (as the simulator does), so the consumer is not left waiting for it forever.
        if (header.type == FrameType::deliver) {
          std::vector<std::uint8_t> renew;
          append_pull(renew, Pull{1, link->last_pull.wait_ms, link->last_pull.return_early});
          link->up.push(now, std::move(renew));
        }
      } else {
        out.insert(out.end(), pending.begin() + static_cast<std::ptrdiff_t>(pos),
                   pending.begin() + static_cast<std::ptrdiff_t>(pos + size));
      }
      pos += size;
    }
    if (!framed) {
      out.insert(out.end(), pending.begin() + static_cast<std::ptrdiff_t>(pos), pending.end());
      pos = pending.size();
    }
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(pos));
    if (!out.empty()) d.push(release, std::move(out));
  }
  if (!pending.empty()) d.push(monotonic_now(), std::move(pending));  // a torn last frame goes as it came
  d.reading = false;
  d.wake->cancel();
}

asio::awaitable<void> relay(tcp::socket client, tcp::endpoint node, Faults& faults) {
  auto executor = client.get_executor();
  auto upstream = std::make_shared<tcp::socket>(executor);
  auto downstream = std::make_shared<tcp::socket>(std::move(client));
  boost::system::error_code ec;
  co_await upstream->async_connect(node, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;  // the client sees its connection close: the broker is down
  upstream->set_option(tcp::no_delay(true), ec);
  auto link = std::make_shared<Link>();
  link->up.wake = std::make_shared<asio::steady_timer>(executor);
  link->down.wake = std::make_shared<asio::steady_timer>(executor);
  faults.wakers.push_back(link->up.wake);
  faults.wakers.push_back(link->down.wake);
  asio::co_spawn(executor, pump(upstream, downstream, link, false, faults), asio::detached);
  co_await pump(downstream, upstream, link, true, faults);
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
      if (op == "dropped") {  // how many frames were dropped so far, by type
        reply["publish"] = faults.dropped[FrameType::publish];
        reply["deliver"] = faults.dropped[FrameType::deliver];
        reply["ack"] = faults.dropped[FrameType::ack];
      } else if (op == "partition") {
        const Time until = monotonic_now() + request.at("duration_ns").get<Time>();
        faults.partition_until = std::max(faults.partition_until, until);
      } else if (op == "drop") {
        const Time until = monotonic_now() + request.at("duration_ns").get<Time>();
        const std::string frame = request.at("frame");
        const FrameType type = frame == "publish" ? FrameType::publish
                               : frame == "deliver" ? FrameType::deliver
                               : frame == "ack"     ? FrameType::ack
                                                    : throw std::invalid_argument("drop: frame '" + frame +
                                                                                  "' (expected publish, deliver or ack)");
        faults.drops.push_back({until, type, request.at("p").get<double>()});
      } else if (op == "delay") {
        const Time until = monotonic_now() + request.at("duration_ns").get<Time>();
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
  Faults faults;
  faults.rng = RandomStream::derive(config.seed, "live/fault-proxy");
  const auto address = asio::ip::make_address(config.address);
  if (config.upstreams.empty()) throw std::invalid_argument("fault-proxy: no upstream");
  std::deque<tcp::acceptor> traffic;  // one per node; a deque keeps each acceptor where the coroutine saw it
  std::vector<std::uint16_t> ports;
  for (const auto& [host, port] : config.upstreams) {
    tcp::acceptor& acceptor = traffic.emplace_back(io, tcp::endpoint(address, 0));
    ports.push_back(acceptor.local_endpoint().port());
    const tcp::endpoint node(asio::ip::make_address(host), port);
    asio::co_spawn(io, [&acceptor, node, &io, &faults]() -> asio::awaitable<void> {
      for (;;) {
        tcp::socket client = co_await acceptor.async_accept(asio::use_awaitable);
        client.set_option(tcp::no_delay(true));
        asio::co_spawn(io, relay(std::move(client), node, faults), asio::detached);
      }
    }, asio::detached);
  }
  tcp::acceptor control(io, tcp::endpoint(address, 0));
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
      tcp::socket socket = co_await control.async_accept(asio::use_awaitable);
      asio::co_spawn(io, control_session(std::move(socket), faults), asio::detached);
    }
  }, asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    for (const auto& [type, count] : faults.dropped) {
      if (count > 0) std::fprintf(stderr, "qlab fault-proxy: dropped %llu %s frames\n", static_cast<unsigned long long>(count),
                   std::string(frame_type_name(type)).c_str());
    }
    io.stop();
  });
  if (config.on_listening) config.on_listening(ports, control.local_endpoint().port());
  io.run();
}

}  // namespace qlab::live
