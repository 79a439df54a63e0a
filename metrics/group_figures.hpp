#pragma once
// Per-group figures, in simulation and live alike (docs/METRICS.md, "Per-group metrics"): for a producer
// group the latency of its messages and its throughput, for a consumer group what its members processed,
// how busy they were, and how often they crashed. summary.json carries them as groups.producers.NAME and
// groups.consumers.NAME, each metric summarized over the repetitions as the top-level metrics are.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/histogram.hpp"
#include "run_result.hpp"

namespace qlab {

// `latency` and `processed` cover the messages published from the warmup on, over `window_seconds`.
GroupFigures producer_group_figures(const std::string& name, const Histogram& latency, std::uint64_t published,
                                    std::uint64_t processed, double window_seconds);
// One entry per consumer group, in the order the groups first appear in `consumers`; crashes are the `crash`
// fault windows whose target is a member of the group.
std::vector<GroupFigures> consumer_group_figures(const std::vector<ConsumerFigures>& consumers,
                                                 const std::vector<FaultWindow>& faults, double window_seconds);
// The value of `key` for the group called `name`; nullopt when either is absent.
std::optional<double> group_metric(const std::vector<GroupFigures>& groups, const std::string& name,
                                   const std::string& key);
// {"producers": {NAME: {metric: {mean, ci95, min, max}}}, "consumers": {...}} over `runs`.
nlohmann::ordered_json groups_json(const std::vector<RunResult>& runs);

}  // namespace qlab
