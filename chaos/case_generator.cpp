#include "chaos/case_generator.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/random_stream.hpp"
#include "core/time.hpp"
#include "core/units.hpp"
#include "queues/design_registry.hpp"

namespace qlab::chaos {
namespace {

using Json = nlohmann::ordered_json;

class Dice {
 public:
  explicit Dice(std::uint64_t seed) : rng_(RandomStream::derive(seed, "qlab check case")) {}
  // Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng_.next_below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return rng_.next_open01() < p; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * rng_.next_open01(); }
  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[rng_.next_below(from.size())];
  }

 private:
  RandomStream rng_;
};

std::string ms(std::int64_t milliseconds) { return format_duration(milliseconds * kMillisecond); }

// A duration distribution with the given mean, of a random family.
Json random_distribution(Dice& dice, std::int64_t mean_ms) {
  switch (dice.between(0, 5)) {
    case 0: return ms(mean_ms);
    case 1: return Json{{"dist", "exponential"}, {"mean", ms(mean_ms)}};
    case 2: return Json{{"dist", "uniform"}, {"min", ms(mean_ms / 2)}, {"max", ms(mean_ms + mean_ms / 2)}};
    case 3: return Json{{"dist", "lognormal"}, {"mean", ms(mean_ms)}, {"cv", dice.pick<double>({0.5, 1, 2})}};
    case 4: return Json{{"dist", "pareto"}, {"mean", ms(mean_ms)}, {"shape", dice.pick<double>({1.5, 2.5})}};
    default: return Json{{"dist", "erlang"}, {"k", dice.between(2, 4)}, {"mean", ms(mean_ms)}};
  }
}

// A value for one design parameter: ranges chosen to make the known parameters matter within a short run;
// any other parameter (a design added later) gets a random value of its type.
Json random_param(Dice& dice, const ParamSpec& spec, std::int64_t replicas) {
  const std::string& name = spec.name;
  if (name == "visibility_timeout") return ms(dice.pick<std::int64_t>({20, 50, 100, 200, 500, 1000, 3000}));
  if (name == "max_receives") return dice.chance(0.6) ? 0 : dice.between(1, 4);
  if (name == "replicas") return dice.between(1, 5);
  if (name == "min_insync") return dice.chance(0.7) ? 1 : dice.between(1, replicas);
  if (name == "replica_lag_max") return ms(dice.pick<std::int64_t>({5, 50, 500, 10000}));
  if (name == "failure_detection") return ms(dice.between(0, 500));
  if (name == "unclean_election") return dice.chance(0.25);
  if (name == "replication_latency") return ms(dice.between(0, 20));
  // Queue limits refuse and discard messages on purpose, which the design audits do not model yet: off.
  if (name == "max_length" || name == "max_bytes") return 0;
  if (name == "ttl") return "0s";
  if (name == "overflow" || name == "discarded") return std::get<std::string>(spec.default_value);
  switch (spec.type) {
    case ParamSpec::Type::choice: return dice.pick(spec.choices);
    case ParamSpec::Type::flag: return dice.chance(0.5);
    case ParamSpec::Type::count: return spec.min + dice.between(0, 3);
    case ParamSpec::Type::duration: return format_duration(std::max<Time>(spec.min, dice.between(0, 1000) * kMillisecond));
  }
  return nullptr;
}

struct Groups {
  std::vector<std::pair<std::string, std::int64_t>> producers;  // name, count
  std::vector<std::pair<std::string, std::int64_t>> consumers;
};

std::string member_target(Dice& dice, const std::pair<std::string, std::int64_t>& group) {
  const auto& [name, count] = group;
  const int form = static_cast<int>(dice.between(0, 2));
  if (form == 0 || count == 1) return name;
  if (form == 1) return name + "[" + std::to_string(dice.between(0, count - 1)) + "]";
  const std::int64_t first = dice.between(0, count - 2);
  return name + "[" + std::to_string(first) + ".." + std::to_string(dice.between(first + 1, count - 1)) + "]";
}

std::string consumer_target(Dice& dice, const Groups& groups) {
  if (dice.chance(0.15)) return "any consumer";
  return member_target(dice, dice.pick(groups.consumers));
}

Json random_fault(Dice& dice, const Groups& groups, std::int64_t duration_ms, std::int64_t replicas) {
  static const std::vector<std::string> actions{"crash", "stall", "slow", "broker_crash", "partition", "drop", "delay",
                                                "producer_crash"};
  Json fault = Json::object();
  if (dice.chance(0.7)) {
    fault["at"] = ms(dice.between(0, duration_ms + duration_ms / 5));
  } else {
    const std::int64_t gap = dice.between(100, 1500);
    fault["every"] = dice.chance(0.5) ? Json(ms(gap)) : Json{{"dist", "exponential"}, {"mean", ms(gap)}};
    fault["until"] = ms(dice.between(duration_ms / 2 + 1, duration_ms + duration_ms / 5 + 1));
  }
  const std::string action = dice.pick(actions);
  fault["action"] = action;
  const auto window = [&] { fault["duration"] = ms(dice.between(10, 1500)); };
  const auto restart = [&](double p) {
    if (dice.chance(p)) fault["restart_after"] = ms(dice.between(10, 1000));
  };
  if (action == "crash") {
    fault["target"] = consumer_target(dice, groups);
    restart(0.75);
  } else if (action == "stall" || action == "slow") {
    fault["target"] = consumer_target(dice, groups);
    if (action == "slow") fault["factor"] = dice.pick<double>({1.5, 2, 4, 10});
    window();
  } else if (action == "broker_crash") {
    const int form = static_cast<int>(dice.between(0, 3));
    if (form == 1) fault["target"] = "leader";
    if (form == 2) fault["target"] = "broker";
    if (form == 3) fault["target"] = "broker[" + std::to_string(dice.between(0, replicas - 1)) + "]";
    restart(0.8);
  } else if (action == "partition") {
    const bool producers = dice.chance(0.3);
    const std::string clients = producers ? "producers." + member_target(dice, dice.pick(groups.producers))
                                          : member_target(dice, dice.pick(groups.consumers));
    if (dice.chance(0.5)) {
      fault["between"] = Json::array({clients, "broker"});
    } else {
      fault["target"] = clients;
    }
    window();
  } else if (action == "drop" || action == "delay") {
    const std::string hop = dice.pick<std::string>({"producer->broker", "broker->consumer", "consumer->broker"});
    fault["hop"] = hop;
    if (dice.chance(0.5)) {
      fault["target"] = hop == "producer->broker" ? member_target(dice, dice.pick(groups.producers))
                                                  : member_target(dice, dice.pick(groups.consumers));
    }
    if (action == "drop") {
      fault["p"] = std::round(dice.uniform(0.05, 0.6) * 100) / 100;
    } else {
      fault["extra"] = random_distribution(dice, dice.between(1, 200));
    }
    window();
  } else {
    fault["target"] = member_target(dice, dice.pick(groups.producers));
    restart(0.6);
  }
  return fault;
}

}  // namespace

Json generate_case(std::uint64_t seed, const GeneratorOptions& options) {
  Dice dice(seed);
  const DesignInfo* design = &dice.pick(designs());
  if (!options.design.empty()) design = find_design(options.design);
  if (design == nullptr) design = &designs().front();

  const std::int64_t duration_ms = dice.between(300, 3000);
  Json doc{{"name", "check-" + std::to_string(seed)},
           {"description", "qlab check case " + std::to_string(seed)},
           {"seed", seed},
           {"repetitions", 1},
           {"duration", ms(duration_ms)}};
  doc["drain"] = dice.chance(0.8);
  doc["drain_timeout"] = ms(dice.between(1, 10) * 1000);

  Json queue{{"design", design->name}};
  std::int64_t replicas = 1;
  for (const ParamSpec& spec : design->params) {
    if (spec.name == "replicas") replicas = std::get<std::int64_t>(spec.default_value);
  }
  for (const ParamSpec& spec : design->params) {
    if (dice.chance(0.2)) continue;  // the default
    queue[spec.name] = random_param(dice, spec, replicas);
    if (spec.name == "replicas") replicas = queue[spec.name].get<std::int64_t>();
  }
  doc["queue"] = queue;

  Groups groups;
  double capacity = 0;  // messages per second the consumers can process
  Json consumers = Json::array();
  const std::int64_t consumer_groups = dice.between(1, 3);
  for (std::int64_t g = 0; g < consumer_groups; ++g) {
    const std::string name = "c" + std::to_string(g);
    const std::int64_t count = dice.between(1, 4);
    const std::int64_t mean_ms = dice.between(1, 40);
    capacity += static_cast<double>(count) * 1000.0 / static_cast<double>(mean_ms);
    Json group{{"name", name}, {"count", count}, {"service", random_distribution(dice, mean_ms)}};
    if (dice.chance(0.5)) group["prefetch"] = dice.between(2, 4);
    consumers.push_back(group);
    groups.consumers.emplace_back(name, count);
  }

  Json producers = Json::array();
  const std::int64_t producer_groups = dice.between(1, 2);
  std::int64_t producer_count = 0;
  std::vector<std::int64_t> counts;
  for (std::int64_t g = 0; g < producer_groups; ++g) {
    counts.push_back(dice.between(1, 3));
    producer_count += counts.back();
  }
  const double load = dice.uniform(0.2, 1.3);
  const double total_rate = std::min(load * capacity, 500.0);
  for (std::int64_t g = 0; g < producer_groups; ++g) {
    const std::string name = "p" + std::to_string(g);
    Json group{{"name", name}, {"count", counts[g]}};
    const int arrival = static_cast<int>(dice.between(0, 9));
    if (arrival == 0) {
      group["arrival"] = "batch";
      group["messages"] = dice.between(5, 100);
      group["at"] = ms(dice.between(0, duration_ms));
    } else {
      group["arrival"] = arrival <= 6 ? "poisson" : "constant";
      const auto rate = static_cast<std::int64_t>(std::max(1.0, std::round(total_rate / static_cast<double>(producer_count))));
      group["rate"] = std::to_string(rate) + "/s";
      if (dice.chance(0.2)) group["messages"] = dice.between(5, 200);
    }
    producers.push_back(group);
    groups.producers.emplace_back(name, counts[g]);
  }
  doc["producers"] = producers;
  doc["consumers"] = consumers;

  switch (dice.between(0, 3)) {
    case 0: doc["network"] = Json{{"latency", "0s"}}; break;
    case 1: doc["network"] = Json{{"latency", ms(dice.between(1, 5))}}; break;
    case 2: doc["network"] = Json{{"latency", {{"dist", "exponential"}, {"mean", ms(dice.between(1, 5))}}}}; break;
    default: doc["network"] = Json{{"latency", {{"dist", "uniform"}, {"min", "0s"}, {"max", ms(dice.between(1, 5))}}}}; break;
  }

  Json faults = Json::array();
  const std::int64_t fault_count = dice.chance(0.1) ? 0 : dice.between(1, 6);
  for (std::int64_t f = 0; f < fault_count; ++f) faults.push_back(random_fault(dice, groups, duration_ms, replicas));
  doc["faults"] = faults;
  return doc;
}

}  // namespace qlab::chaos
