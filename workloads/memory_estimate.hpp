#pragma once
// What a simulated run will hold in memory, estimated from the scenario before it starts, so a run that
// cannot fit is refused at once instead of exhausting the machine hours later. The costs per item are
// measured on this code (workloads/README.md, "Limits", gives them and the command that measures them);
// the estimate is an order of magnitude, not a bound.
#include <optional>
#include <string>

#include "core/scenario.hpp"

namespace qlab::workloads {

// Bytes per item, rounded up from measurements of `qlab run` (maximum resident set size, one thread).
inline constexpr double kBaseBytes = 8.0 * (1 << 20);           // the executable, its libraries, one empty run
// The message ledger, per message published, with a design that cannot tell which messages it may still name
// (replicated): other designs let it forget settled messages, and it costs nothing per message.
inline constexpr double kBytesPerMessage = 2;
inline constexpr double kBytesPerWaitingMessage = 64;           // a message held by the queue or a consumer
inline constexpr double kBytesPerProducer = 512;
inline constexpr double kBytesPerConsumer = 1536;
inline constexpr double kBytesPerReplica = 3072;                // a broker node of the replicated design
inline constexpr double kBytesPerMetricsPoint = 96;             // one interval of the time series
inline constexpr double kBytesPerFaultOccurrence = 128;         // one injected fault's record
inline constexpr double kBytesPerRepetitionResult = 160 * 1024; // a finished repetition's histograms and series
inline constexpr double kBytesPerTracedMessage = 1024;          // --trace: a message's history, kept until written

struct MemoryEstimate {
  double bytes = 0;       // the whole process
  double messages = 0;    // published per repetition
  std::string largest;    // the item that dominates, with its count and cost: "messages: 5e+12 x 2 B"
};

// `parallel_runs` repetitions run at once; every repetition's result is kept until the end, and with `trace`
// (`qlab run --trace`) every message's history too.
MemoryEstimate estimate_memory(const qlab::Scenario& scenario, unsigned parallel_runs, bool trace = false);

// MemAvailable from /proc/meminfo, lowered to what the cgroup's memory.max leaves; nullopt when unknown.
std::optional<double> available_memory();

// "1.5 GiB": bytes in the largest binary unit that keeps the number at least 1.
std::string format_bytes(double bytes);

// Throws ScenarioError `SOURCE: ...estimated X, more than the Y available...` unless the estimate fits or
// `force` is set (then it only warns on stderr).
void check_memory(const MemoryEstimate& estimate, const std::string& source, bool force);

}  // namespace qlab::workloads
