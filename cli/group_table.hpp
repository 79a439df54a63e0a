#pragma once
// The per-group tables `qlab run --groups` prints: one row per producer group and per consumer group, the
// mean over repetitions of each group metric (docs/METRICS.md, "Per-group metrics").
#include <string>

#include <nlohmann/json.hpp>

namespace qlab::cli {

// `groups` is summary.json's "groups" object.
std::string format_group_table(const nlohmann::ordered_json& groups);

}  // namespace qlab::cli
