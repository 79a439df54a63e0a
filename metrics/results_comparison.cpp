#include "results_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "statistics.hpp"

namespace qlab {
namespace {

using Json = nlohmann::ordered_json;

// Keys of scenario_resolved that describe how a run was carried out rather than what was run.
constexpr const char* kModeSpecificKey = "live";
constexpr const char* kRepetitionsKey = "repetitions";
constexpr std::size_t kLongestShownValue = 60;

const Json* member(const Json& object, const std::string& key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const Json& metrics_of(const Json& summary, const char* side) {
  const Json* metrics = member(summary, "metrics");
  if (metrics == nullptr || !metrics->is_object()) {
    throw std::invalid_argument(std::string("summary ") + side + " has no \"metrics\" object");
  }
  return *metrics;
}

std::string shown(const Json* value) {
  if (value == nullptr) return "(absent)";
  std::string text = value->is_string() ? value->get<std::string>() : value->dump();
  if (text.size() > kLongestShownValue) text = text.substr(0, kLongestShownValue - 3) + "...";
  return text;
}

bool ignored_at_top(const std::string& path, const std::string& key) {
  return path.empty() && (key == kModeSpecificKey || key == kRepetitionsKey);
}

void collect_differences(const std::string& path, const Json* a, const Json* b, std::vector<ScenarioDifference>& out) {
  if (a != nullptr && b != nullptr && a->is_object() && b->is_object()) {
    const auto child = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
    for (const auto& [key, value] : a->items()) {
      if (!ignored_at_top(path, key)) collect_differences(child(key), &value, member(*b, key), out);
    }
    for (const auto& [key, value] : b->items()) {
      if (!ignored_at_top(path, key) && !a->contains(key)) collect_differences(child(key), nullptr, &value, out);
    }
    return;
  }
  if (a != nullptr && b != nullptr && a->is_array() && b->is_array()) {
    for (std::size_t i = 0; i < std::max(a->size(), b->size()); ++i) {
      collect_differences(path + "[" + std::to_string(i) + "]", i < a->size() ? &(*a)[i] : nullptr,
                          i < b->size() ? &(*b)[i] : nullptr, out);
    }
    return;
  }
  if (a == nullptr || b == nullptr || *a != *b) out.push_back({path, shown(a), shown(b)});
}

SideValue side_value(const Json& summary, const Json& metrics, const std::string& key, std::vector<double>& values) {
  SideValue side;
  const Json& entry = metrics.at(key);
  const Json* mean = member(entry, "mean");
  if (mean != nullptr && mean->is_number()) {
    side.mean = mean->get<double>();
    const Json* ci95 = member(entry, "ci95");
    if (ci95 != nullptr && ci95->is_number()) side.ci95 = ci95->get<double>();
  } else {
    const Json* reason = member(entry, "reason");
    side.reason = reason != nullptr && reason->is_string() ? reason->get<std::string>() : "not measured (no reason given)";
    return side;
  }
  const Json* runs = member(summary, "runs");
  if (runs != nullptr && runs->is_array()) {
    for (const Json& run : *runs) {
      const Json* run_metrics = member(run, "metrics");
      const Json* value = run_metrics != nullptr ? member(*run_metrics, key) : nullptr;
      if (value != nullptr && value->is_number()) values.push_back(value->get<double>());
    }
  }
  side.n = values.size();
  return side;
}

MetricComparison compare_metric(const Json& a, const Json& metrics_a, const Json& b, const Json& metrics_b,
                                const std::string& key, bool paired) {
  MetricComparison row;
  row.key = key;
  std::vector<double> values_a;
  std::vector<double> values_b;
  row.a = side_value(a, metrics_a, key, values_a);
  row.b = side_value(b, metrics_b, key, values_b);
  if (!row.a.mean || !row.b.mean) return row;
  row.difference = *row.b.mean - *row.a.mean;
  if (*row.a.mean != 0) row.relative = *row.difference / std::fabs(*row.a.mean);
  if (paired && values_a.size() == values_b.size() && values_a.size() >= 2) {
    std::vector<double> differences;
    for (std::size_t i = 0; i < values_a.size(); ++i) differences.push_back(values_b[i] - values_a[i]);
    const Summary s = summarize(differences);
    row.paired = true;
    row.difference_ci95 = s.ci95;
    row.welch_df = static_cast<double>(differences.size() - 1);
    row.significant = std::fabs(s.mean) > s.ci95;
  } else if (values_a.size() >= 2 && values_b.size() >= 2) {
    const WelchInterval welch = welch_interval(values_a, values_b);
    row.difference_ci95 = welch.ci95;
    row.welch_df = welch.df;
    row.significant = std::fabs(welch.difference) > welch.ci95;
  }
  return row;
}

// The seeds of a summary's repetitions, in the order of its "runs".
std::vector<Json> seeds_of(const Json& summary) {
  std::vector<Json> seeds;
  const Json* runs = member(summary, "runs");
  if (runs == nullptr || !runs->is_array()) return seeds;
  for (const Json& run : *runs) {
    const Json* seed = member(run, "seed");
    seeds.push_back(seed != nullptr ? *seed : Json());
  }
  return seeds;
}

std::size_t repetitions_of(const Json& summary) {
  const Json* runs = member(summary, "runs");
  return runs != nullptr && runs->is_array() ? runs->size() : 0;
}

std::vector<std::string> warnings_about(const Json& a, const Json& b) {
  std::vector<std::string> warnings;
  const std::size_t reps_a = repetitions_of(a);
  const std::size_t reps_b = repetitions_of(b);
  if (reps_a != reps_b) {
    warnings.push_back("the repetitions differ (A " + std::to_string(reps_a) + ", B " + std::to_string(reps_b) + ")");
  }
  if (reps_a < 2 || reps_b < 2) {
    warnings.push_back("no confidence intervals: they need 2 repetitions or more on both sides");
  }
  if (member(a, "scenario_resolved") == nullptr && member(b, "scenario_resolved") == nullptr) {
    warnings.push_back("neither summary has \"scenario_resolved\": the scenarios could not be checked");
  }
  for (const auto& [side, summary] : {std::pair{"A", &a}, std::pair{"B", &b}}) {
    const Json* complete = member(*summary, "complete");
    if (complete != nullptr && complete->is_boolean() && !complete->get<bool>()) {
      warnings.push_back(std::string(side) + " is incomplete (\"complete\": false): the run ended early");
    }
  }
  return warnings;
}

}  // namespace

std::vector<ScenarioDifference> scenario_differences(const Json& a, const Json& b) {
  std::vector<ScenarioDifference> out;
  if (!a.is_object() || !b.is_object()) {
    if (a.is_object() != b.is_object()) {
      out.push_back({"scenario_resolved", a.is_object() ? "(present)" : "(absent)", b.is_object() ? "(present)" : "(absent)"});
    }
    return out;
  }
  collect_differences("", &a, &b, out);
  return out;
}

ResultsComparison compare_results(const Json& a, const Json& b, const std::vector<std::string>& keys, Pairing pairing) {
  const Json& metrics_a = metrics_of(a, "A");
  const Json& metrics_b = metrics_of(b, "B");
  ResultsComparison result;
  const bool paired = pairing == Pairing::by_seed && !seeds_of(a).empty() && seeds_of(a) == seeds_of(b);
  if (pairing == Pairing::by_seed && !paired) {
    result.warnings.push_back("the repetitions' seeds differ: differences are Welch intervals, not paired");
  }
  std::vector<std::string> wanted = keys;
  if (wanted.empty()) {
    for (const auto& [key, value] : metrics_a.items()) wanted.push_back(key);
    for (const auto& [key, value] : metrics_b.items()) {
      if (!metrics_a.contains(key)) result.only_in_b.push_back(key);
    }
  }
  for (const std::string& key : wanted) {
    const bool in_a = metrics_a.contains(key);
    const bool in_b = metrics_b.contains(key);
    if (!in_a && !in_b) throw std::invalid_argument("metric '" + key + "' is in neither summary");
    if (!in_b) {
      result.only_in_a.push_back(key);
    } else if (!in_a) {
      result.only_in_b.push_back(key);
    } else {
      result.rows.push_back(compare_metric(a, metrics_a, b, metrics_b, key, paired));
    }
  }
  const Json missing;
  const Json* resolved_a = member(a, "scenario_resolved");
  const Json* resolved_b = member(b, "scenario_resolved");
  result.scenario_differences =
      scenario_differences(resolved_a != nullptr ? *resolved_a : missing, resolved_b != nullptr ? *resolved_b : missing);
  for (std::string& warning : warnings_about(a, b)) result.warnings.push_back(std::move(warning));
  return result;
}

}  // namespace qlab
