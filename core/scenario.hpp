#pragma once
// The scenario of SCENARIO.md as plain data, after validation and defaults. The YAML loader
// (workloads/) builds it; the simulator (sim/) and live mode (live/) run it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "distribution.hpp"
#include "time.hpp"

namespace qlab {

// A design parameter's value: durations and counts as integers (ns for durations), flags, enum names.
using ParamValue = std::variant<std::int64_t, bool, std::string>;
using DesignParams = std::map<std::string, ParamValue>;

struct QueueSpec {
  std::string design = "pull";
  DesignParams params;  // every parameter of the design, defaults filled in
};

enum class Arrival { poisson, constant, batch };

// What a producer does with a publish the broker refuses or cannot take (down, no leader): give it up at
// once, or send it again after a backoff that doubles up to max_backoff, until `limit` after its first send.
enum class OnUnavailable { refuse, retry };
struct RetryPolicy {
  Time backoff = 100 * kMillisecond;
  Time max_backoff = 2 * kSecond;
  Time limit = 30 * kSecond;
  // The wait before attempt `attempt` + 1 (attempt >= 1 sends were refused so far).
  Time delay(std::uint32_t attempt) const;
};

struct ProducerGroup {
  std::string name = "producers";
  std::uint32_t count = 1;
  Arrival arrival = Arrival::poisson;
  double rate = 0;                 // messages per second per producer (poisson, constant)
  bool rate_max = false;           // `rate: max` (live only): the rate finder chooses `rate`
  std::optional<std::uint64_t> messages;  // per producer; unbounded when absent (then `duration` ends it)
  Time at = 0;                     // batch: when the whole batch is published
  Distribution size = Distribution::constant(100);  // bytes
  OnUnavailable on_unavailable = OnUnavailable::refuse;
  RetryPolicy retry;               // with on_unavailable: retry
};

struct ConsumerGroup {
  std::string name = "consumers";
  std::uint32_t count = 1;
  Distribution service;            // nanoseconds per message
  std::uint32_t prefetch = 1;
};

struct NetworkSpec {
  Distribution latency;            // one-way delay of every hop, nanoseconds
};

// A fault target: a whole group, one member, a range of members (of the consumer groups, or of the producer
// groups when `producers`), one consumer chosen at random, a broker node, or whichever node leads.
struct FaultTarget {
  enum class Kind { group, member, range, any_consumer, broker, leader };
  Kind kind = Kind::group;
  bool producers = false;          // group/member/range name a producer group
  std::size_t group = 0;           // index into Scenario::consumers (or ::producers)
  std::uint32_t first = 0;         // member / range start; broker: the node
  std::uint32_t last = 0;          // range end, inclusive
  std::string text;                // as written, for messages and plots
};

enum class FaultAction { crash, stall, slow, broker_crash, partition, drop, delay, producer_crash };

// The network hops a drop or delay fault acts on.
enum class Hop { producer_to_broker, broker_to_consumer, consumer_to_broker };

struct FaultSpec {
  FaultAction action = FaultAction::crash;
  FaultTarget target;                      // partition/drop/delay: the clients cut off or affected
  bool all_clients = false;                // drop/delay without a target: every client on the hop
  std::optional<Time> at;                  // one-shot
  std::optional<Distribution> every;       // recurring: gaps between occurrences
  std::optional<Time> until;               // recurring faults stop being injected after this time
  std::optional<Time> restart_after;       // crash, broker_crash, producer_crash: back (empty-handed) after this
  Time duration = 0;                       // stall, slow, partition, drop, delay: how long it lasts
  double factor = 1;                       // slow: service times multiplied by this
  Hop hop = Hop::producer_to_broker;       // drop, delay
  double probability = 0;                  // drop: chance each message on the hop is dropped
  Distribution extra;                      // delay: added one-way latency, nanoseconds
};

// `live:` settings that only `qlab live` reads. backend_options: a real broker's settings (durability and the
// like, docs/BACKENDS.md), scalars typed as the YAML wrote them; each back end checks its own keys.
using BackendOptionValue = std::variant<bool, std::int64_t, double, std::string>;
struct LiveSpec {
  std::map<std::string, BackendOptionValue> backend_options;
};

struct Scenario {
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  std::uint32_t repetitions = 1;
  std::optional<Time> duration;            // producers stop publishing at this time
  Time warmup = 0;
  bool warmup_auto = false;                // `warmup: auto`: chosen per repetition by MSER-5
  bool drain = true;
  Time drain_timeout = 24 * 3600 * kSecond;
  std::optional<Time> metrics_interval;    // absent: chosen to give about 200 points
  QueueSpec queue;
  std::vector<ProducerGroup> producers;
  std::vector<ConsumerGroup> consumers;
  NetworkSpec network;
  std::vector<FaultSpec> faults;
  LiveSpec live;
};

const char* arrival_name(Arrival arrival);
const char* on_unavailable_name(OnUnavailable policy);
const char* fault_action_name(FaultAction action);
const char* hop_name(Hop hop);

}  // namespace qlab
