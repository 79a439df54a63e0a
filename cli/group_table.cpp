#include "group_table.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "metrics_table.hpp"

namespace qlab::cli {
namespace {

int width(const std::string& column) { return static_cast<int>(std::max<std::size_t>(12, column.size())); }

// One table: a header row of `columns`, then per group its means, formatted with their units.
std::string side_table(const char* title, const nlohmann::ordered_json& side, const std::vector<std::string>& columns) {
  std::size_t name_width = std::string(title).size();
  for (const auto& [name, metrics] : side.items()) name_width = std::max(name_width, name.size() + 2);
  std::string out;
  char cell[64];
  std::snprintf(cell, sizeof cell, "%-*s", static_cast<int>(name_width), title);
  out += cell;
  for (const std::string& c : columns) {
    std::snprintf(cell, sizeof cell, " %*s", width(c), c.c_str());
    out += cell;
  }
  out += '\n';
  for (const auto& [name, metrics] : side.items()) {
    std::snprintf(cell, sizeof cell, "  %-*s", static_cast<int>(name_width - 2), name.c_str());
    out += cell;
    for (const std::string& c : columns) {
      const auto metric = metrics.find(c);
      const std::string value = metric == metrics.end() ? "-" : format_metric_value(c, metric->at("mean").get<double>());
      std::snprintf(cell, sizeof cell, " %*s", width(c), value.c_str());
      out += cell;
    }
    out += '\n';
  }
  return out;
}

}  // namespace

std::string format_group_table(const nlohmann::ordered_json& groups) {
  return side_table("producer group", groups.at("producers"),
                    {"published", "throughput", "latency_mean", "latency_p50", "latency_p99", "latency_p999"}) +
         side_table("consumer group", groups.at("consumers"),
                    {"consumers", "processed", "throughput", "utilization", "idle_with_backlog", "crashes"});
}

}  // namespace qlab::cli
