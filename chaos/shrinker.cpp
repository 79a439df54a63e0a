#include "chaos/shrinker.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "core/units.hpp"

namespace qlab::chaos {
namespace {

using Json = nlohmann::ordered_json;

std::optional<Time> duration_of(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  try {
    return parse_duration(value.get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// `doc` with `edit` applied to a copy, appended to `out`.
template <class Edit>
void variant(std::vector<Json>& out, const Json& doc, Edit edit) {
  Json copy = doc;
  if (edit(copy)) out.push_back(std::move(copy));
}

// Halves a duration field of `object` (not below `floor`); false when there is nothing to halve.
bool halve_duration(Json& object, const char* key, Time floor) {
  if (!object.contains(key)) return false;
  const std::optional<Time> t = duration_of(object[key]);
  if (!t || *t / 2 < floor) return false;
  object[key] = format_duration(*t / 2 / kMillisecond * kMillisecond);
  return true;
}

// A distribution written as a map with a mean becomes that constant.
bool make_constant(Json& object, const char* key) {
  if (!object.contains(key) || !object[key].is_object() || !object[key].contains("mean")) return false;
  object[key] = Json(object[key]["mean"]);
  return true;
}

void group_variants(std::vector<Json>& out, const Json& doc, const char* key) {
  const std::size_t groups = doc.contains(key) ? doc[key].size() : 0;
  for (std::size_t g = 0; g < groups; ++g) {
    if (groups > 1) variant(out, doc, [&](Json& d) { d[key].erase(g); return true; });
    variant(out, doc, [&](Json& d) {
      Json& group = d[key][g];
      const std::int64_t count = group.value("count", 1);
      if (count <= 1) return false;
      group["count"] = count / 2;
      return true;
    });
    variant(out, doc, [&](Json& d) {
      Json& group = d[key][g];
      const std::int64_t count = group.value("count", 1);
      if (count <= 1) return false;
      group["count"] = count - 1;
      return true;
    });
    variant(out, doc, [&](Json& d) {
      Json& group = d[key][g];
      if (!group.contains("rate")) return false;
      const double rate = parse_rate(group["rate"].get<std::string>());
      if (rate < 2) return false;
      group["rate"] = format_rate(std::floor(rate / 2));
      return true;
    });
    variant(out, doc, [&](Json& d) {
      Json& group = d[key][g];
      if (!group.contains("messages") || group["messages"].get<std::int64_t>() <= 1) return false;
      group["messages"] = group["messages"].get<std::int64_t>() / 2;
      return true;
    });
    variant(out, doc, [&](Json& d) {
      if (!d[key][g].contains("prefetch")) return false;
      d[key][g].erase("prefetch");
      return true;
    });
    variant(out, doc, [&](Json& d) { return make_constant(d[key][g], "service"); });
  }
}

}  // namespace

std::vector<Json> shrink_candidates(const Json& doc) {
  std::vector<Json> out;
  const std::size_t faults = doc.contains("faults") ? doc["faults"].size() : 0;
  for (std::size_t f = 0; f < faults; ++f) variant(out, doc, [&](Json& d) { d["faults"].erase(f); return true; });
  variant(out, doc, [](Json& d) { return halve_duration(d, "duration", 50 * kMillisecond); });
  group_variants(out, doc, "producers");
  group_variants(out, doc, "consumers");
  for (std::size_t f = 0; f < faults; ++f) {
    // A recurring fault becomes one occurrence at its typical gap; a window gets shorter.
    variant(out, doc, [&](Json& d) {
      Json& fault = d["faults"][f];
      if (!fault.contains("every")) return false;
      const Json gap = fault["every"].is_object() ? fault["every"].value("mean", Json()) : fault["every"];
      if (!gap.is_string()) return false;
      fault.erase("every");
      fault.erase("until");
      fault["at"] = gap;
      return true;
    });
    // A fault on a range of members strikes only the first.
    variant(out, doc, [&](Json& d) {
      Json& fault = d["faults"][f];
      if (!fault.contains("target") || !fault["target"].is_string()) return false;
      const std::string target = fault["target"].get<std::string>();
      const std::size_t dots = target.find("..");
      if (dots == std::string::npos) return false;
      fault["target"] = target.substr(0, dots) + "]";
      return true;
    });
    variant(out, doc, [&](Json& d) { return halve_duration(d["faults"][f], "duration", kMillisecond); });
    variant(out, doc, [&](Json& d) { return halve_duration(d["faults"][f], "restart_after", kMillisecond); });
    variant(out, doc, [&](Json& d) { return make_constant(d["faults"][f], "extra"); });
  }
  variant(out, doc, [](Json& d) {
    if (!d.contains("drain") || !d["drain"].get<bool>()) return false;
    d["drain"] = false;
    return true;
  });
  variant(out, doc, [](Json& d) { return halve_duration(d, "drain_timeout", 100 * kMillisecond); });
  variant(out, doc, [](Json& d) {
    if (!d.contains("network") || d["network"]["latency"] == Json("0s")) return false;
    d["network"]["latency"] = "0s";
    return true;
  });
  if (doc.contains("queue")) {
    for (const auto& [key, value] : doc["queue"].items()) {
      if (key == "design") continue;
      variant(out, doc, [&, name = key](Json& d) { d["queue"].erase(name); return true; });
    }
  }
  return out;
}

ShrinkResult shrink(const Json& failing, const CaseVerdict& verdict, const CaseBody& body, const RunLimits& limits,
                    std::size_t max_attempts) {
  ShrinkResult result{failing, verdict, 0, 0};
  const std::string signature = verdict.signature();
  const std::size_t batch = std::max(1u, limits.jobs);
  bool progress = true;
  while (progress && result.attempts < max_attempts) {
    progress = false;
    const std::vector<Json> candidates = shrink_candidates(result.scenario);
    // Candidates run `jobs` at a time; the first (in order) that still fails the same way is kept.
    for (std::size_t from = 0; from < candidates.size() && !progress && result.attempts < max_attempts; from += batch) {
      const std::size_t to = std::min({candidates.size(), from + batch, from + (max_attempts - result.attempts)});
      const std::vector<Json> chunk(candidates.begin() + static_cast<std::ptrdiff_t>(from),
                                    candidates.begin() + static_cast<std::ptrdiff_t>(to));
      const std::vector<CaseVerdict> verdicts = run_cases(chunk, body, limits);
      result.attempts += chunk.size();
      for (std::size_t i = 0; i < verdicts.size(); ++i) {
        if (verdicts[i].signature() != signature) continue;
        result.scenario = chunk[i];
        result.verdict = verdicts[i];
        ++result.steps;
        progress = true;
        break;
      }
    }
  }
  return result;
}

}  // namespace qlab::chaos
