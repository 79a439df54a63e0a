#pragma once
// The broker's I/O: a single-threaded Boost.Asio server that owns a BrokerState, accepts connections,
// turns bytes into frames for it, writes its frames back, and keeps one steady_timer armed to the state's
// next_deadline(). Time is the steady clock in ns since the broker started.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/scenario.hpp"
#include "core/time.hpp"
#include "live/broker_state.hpp"

namespace qlab::live {

struct BrokerConfig {
  std::string design = "visibility_timeout";
  DesignParams params;                  // completed with the design's defaults by the broker
  std::string address = "127.0.0.1";
  std::uint16_t port = 7700;            // 0: an ephemeral port (see Broker::port())
  std::string token;                    // empty: no token required
  std::uint64_t seed = 1;
  std::uint64_t first_message_id = 1;   // ids a restarted broker hands out start above its predecessor's
  std::uint32_t incarnation = 0;        // restarts before this one (the design's random stream depends on it)
  // qlab live: append one line per hand-over, loss and dead-letter here (steady-clock ns), see live_results.hpp.
  std::string records;
  // A connection whose unsent bytes exceed this is a client that stopped reading: it is disconnected.
  std::size_t max_write_queue = 8u << 20;
  // Connections held at once; a newer one is closed with ERROR too_many_connections. 0: the default,
  // default_max_connections().
  std::size_t max_connections = 0;
  // Stored messages' bytes (payloads plus kStoredMessageOverhead each) above which a publish is refused
  // with PublishStatus::queue_full. 0: the default, default_max_queue_bytes().
  std::size_t max_queue_bytes = 0;
  // A connection must complete its HELLO within this; a producer or consumer with nothing in flight
  // (BrokerState::idle) that sends no frame for idle_timeout is closed. 0: no limit.
  Time handshake_timeout = 10 * kSecond;
  Time idle_timeout = 600 * kSecond;
  bool handle_signals = false;          // SIGINT/SIGTERM stop run()
  LogSink log;                          // default: "qlab broker: LINE" on stderr
};

class Broker {
 public:
  // Binds and listens at once (throws std::runtime_error when it cannot), so port() is known before run().
  explicit Broker(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  std::uint16_t port() const;
  // Serves until stop() or a signal; returns the final counters' JSON.
  void run();
  // Thread-safe: closes the listener and every connection, and makes run() return.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The file-descriptor limit (RLIMIT_NOFILE) less a reserve for the listener, the records file, the event
// loop and a connection being refused: max(16, limit / 16).
std::size_t default_max_connections();
// A quarter of the machine's physical memory.
std::size_t default_max_queue_bytes();

// Parses `--set queue.KEY=VALUE` style overrides ("KEY=VALUE", with or without the "queue." prefix)
// against the design's ParamSpecs; throws std::invalid_argument naming the key and what was expected.
void apply_design_setting(const DesignInfo& design, DesignParams& params, const std::string& setting);
// The inverse: `--set queue.KEY=VALUE` arguments of `qlab broker` for every parameter of `queue` (durations in
// units). Throws std::invalid_argument for an unknown design.
std::vector<std::string> design_settings(const QueueSpec& queue);
// `qlab broker`'s arguments (without the executable) for `queue` on `listen` (ADDR:PORT), in its life number
// `incarnation`: its message ids start above those every earlier life can have handed out.
std::vector<std::string> broker_arguments(const QueueSpec& queue, const std::string& listen, std::uint32_t incarnation);

}  // namespace qlab::live
