#pragma once
// Turns the records of a live run (live_worker.hpp's files) into the same RunResult the simulator produces,
// so `write_results` writes the RESULTS.md files with mode "live". Times are converted to scenario time:
// (steady-clock ns - start) / time_scale.
//
// Live-specific definitions: a message's publish time is its *intended* send time (open loop; coordinated
// omission is not hidden); `wait` ends when the broker hands the message over (the broker's records), as in
// the simulator; `deliveries` count deliveries a consumer read; `lost` is what conservation leaves
// (published - unique_processed - dead_lettered - remaining), split by cause from where each unfinished
// message was last seen (docs/LIVE.md). Metrics that only a simulation has are written as null with a reason.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "metrics/run_result.hpp"

namespace qlab::live {

struct LiveRecords {
  struct Publish {
    std::uint64_t seq = 0;
    Time intended = 0;
    Time sent = 0;
    Time confirmed = -1;         // -1: never confirmed
    std::uint64_t message_id = 0;
    bool refused = false;
    std::uint32_t group = 0;     // index into producer_groups
  };
  struct Delivery {
    std::uint32_t consumer = 0;
    std::uint64_t message_id = 0;
    std::uint32_t receive_count = 0;
    Time intended = 0;
    Time delivered = 0;
  };
  struct Completion {
    std::uint32_t consumer = 0;
    std::uint64_t message_id = 0;
    Time start = 0;
    Time end = 0;
  };
  // The broker's records (live/broker_state.hpp BrokerRecord): H handed over (count = receive count),
  // L lost by the design (count = node), X dead-lettered, U/A the design became unavailable/available.
  struct BrokerEvent {
    char kind = 'H';
    std::uint64_t message_id = 0;
    std::uint32_t count = 0;
    Time at = 0;
  };
  std::vector<Publish> publishes;
  std::vector<Delivery> deliveries;
  std::vector<Completion> completions;
  std::vector<BrokerEvent> broker;
  std::uint64_t retries = 0;  // refused sends that a producer sent again (R lines)
  // The producer groups, in the order their records were read: a producer's records file is named
  // producer-GROUP[INDEX].csv (after a restart producer-GROUP[INDEX].N.csv; another host prefixes HOST.).
  std::vector<std::string> producer_groups;
};

// Appends the lines of one producer's / consumer's / the broker's records file; a malformed line throws
// std::runtime_error naming the file and line (a torn last line, from a kill mid-write, is ignored).
// `clock` turns every time of the writer host's clock into the coordinator's (none: the same clock).
using ClockConversion = std::function<Time(Time)>;
void read_producer_records(const std::string& path, LiveRecords& records, const ClockConversion& clock = {});
void read_consumer_records(const std::string& path, LiveRecords& records, const ClockConversion& clock = {});
void read_broker_records(const std::string& path, LiveRecords& records, const ClockConversion& clock = {});

struct LiveRunFacts {
  Time start = 0;         // steady clock of scenario time 0
  Time end = 0;           // steady clock when the run stopped
  double time_scale = 1;
  Time warmup = 0;        // scaled (real) ns after start
  std::optional<Time> metrics_interval;  // scaled (real) ns
  struct Consumer {
    std::string name;   // group[index]
    std::string group;
    std::vector<std::pair<Time, Time>> alive;  // steady-clock intervals its process lived
  };
  std::vector<Consumer> consumers;
  // Per consumer (as `consumers`): its time idle while a message waited, as the broker measured it (real ns);
  // empty when the broker could not tell (then idle_with_backlog is null).
  std::vector<Time> idle_with_backlog;
  std::vector<std::pair<Time, Time>> broker_down;        // steady clock: the broker process was dead
  std::vector<std::pair<Time, Time>> publish_drops;      // steady clock: a drop fault on producer->broker
  std::vector<FaultWindow> faults;  // scenario times (as planned), already ending by the end of the run
  std::uint64_t remaining = 0;      // the broker's `held` at the end
  std::uint64_t stale_acks = 0;
  double wall_seconds = 0;
};

RunResult build_live_result(const LiveRecords& records, const LiveRunFacts& facts, std::uint32_t repetition,
                            std::uint64_t seed);

}  // namespace qlab::live
