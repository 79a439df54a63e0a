#pragma once
// The scenario of workloads/README.md as plain data, after validation and defaults. The YAML loader
// (workloads/) builds it; the simulator (sim/) and live mode (live/) run it.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "arrival_trace.hpp"
#include "distribution.hpp"
#include "key_distribution.hpp"
#include "rate_schedule.hpp"
#include "time.hpp"

namespace qlab {

// A design parameter's value: durations and counts as integers (ns for durations), flags, enum names.
using ParamValue = std::variant<std::int64_t, bool, std::string>;
using DesignParams = std::map<std::string, ParamValue>;

struct QueueSpec {
  std::string design = "pull";
  DesignParams params;  // every parameter of the design, defaults filled in
};

enum class Arrival { poisson, constant, batch, trace };

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
  // Time-varying load (poisson, constant): `rate` is then the schedule's peak.
  std::optional<RateSchedule> schedule;
  std::shared_ptr<const ArrivalTrace> trace;  // arrival: trace (shared by copies of the scenario)
  std::optional<KeyDistribution> keys;        // absent: every message has a key of its own
  double poison = 0;               // chance that a message is poison: its processing fails at every delivery
};

// Consumers added and removed by a policy (sim only), as KEDA or an SQS-driven auto-scaling group would.
struct AutoscaleSpec {
  enum class Metric { backlog_per_consumer, latency_p99 };
  std::uint32_t min = 1;
  std::uint32_t max = 1;
  Metric metric = Metric::backlog_per_consumer;
  double target = 1;               // messages per consumer, or nanoseconds of p99 latency
  Time interval = 15 * kSecond;    // how often the policy looks
  Time scale_up_cooldown = 0;      // since the last change
  Time scale_down_cooldown = 300 * kSecond;
  Time startup_delay = 0;          // from the decision until a new consumer joins
  std::optional<Time> slo;         // p99 latency objective for slo_violation_seconds (latency_p99: target)
};

// Processing that fails (`consumers[i].failure`): with probability p a message's processing fails, and the
// consumer then releases it (nack), lets it time out (no ack), or crashes (restarting after restart_after,
// as a crash fault's restart_after).
enum class FailureAction { release, timeout, crash };
struct FailureSpec {
  double p = 0;
  FailureAction action = FailureAction::release;
  std::optional<Time> restart_after;  // crash: back (empty-handed) after this; absent: never
};

struct ConsumerGroup {
  std::string name = "consumers";
  std::uint32_t count = 1;
  Distribution service;            // nanoseconds per message
  std::uint32_t prefetch = 1;
  std::optional<AutoscaleSpec> autoscale;  // `count` is then the initial count
  FailureSpec failure;             // p 0: processing never fails (poison messages still do)
};

struct NetworkSpec {
  Distribution latency;            // one-way delay of every hop, nanoseconds
  double bandwidth = 0;            // bytes per second of every link; 0: unlimited (a message's size costs no time)
};

// The simulated broker's own cost (`broker:`): every publish, delivery and ack/pull it handles takes
// per_message + per_byte x size on one of `threads` servers, first come first served. All zero (the
// default): the broker is free and infinitely fast. Live mode measures the real broker's cost instead.
struct BrokerSpec {
  Time per_message = 0;
  double per_byte = 0;             // nanoseconds per byte (fractions allowed: 0.3ns)
  std::uint32_t threads = 1;
  bool costs() const { return per_message > 0 || per_byte > 0; }
  // The service time of one piece of work carrying `bytes` of payload.
  Time service(std::uint32_t bytes) const {
    return per_message + static_cast<Time>(per_byte * static_cast<double>(bytes) + 0.5);
  }
};

// A fault target: a whole group, one member, a range of members (of the consumer groups, or of the producer
// groups when `producers`), one consumer chosen at random, a broker node, or whichever node leads.
struct FaultTarget {
  enum class Kind { group, member, range, any_consumer, all, broker, leader };  // all: every consumer (or producer)
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
  BrokerSpec broker;
  std::vector<FaultSpec> faults;
  LiveSpec live;
};

const char* arrival_name(Arrival arrival);
const char* autoscale_metric_name(AutoscaleSpec::Metric metric);
const char* on_unavailable_name(OnUnavailable policy);
const char* fault_action_name(FaultAction action);
const char* hop_name(Hop hop);
const char* failure_action_name(FailureAction action);

}  // namespace qlab
