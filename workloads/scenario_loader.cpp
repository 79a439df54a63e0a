#include "workloads/scenario_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include "core/units.hpp"
#include "workloads/cost_units.hpp"
#include "queues/design_registry.hpp"
#include "workloads/arrival_trace_reader.hpp"
#include "workloads/did_you_mean.hpp"
#include "workloads/node_reader.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_limits.hpp"
#include "workloads/yaml_document.hpp"

namespace qlab::workloads {
namespace {

constexpr std::int64_t kMaxCount = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxAutoscale = 100'000;  // consumer slots are made for max
constexpr double kMinBandwidth = 1000;  // bytes per second: a 4GiB message then takes 50 days, not the clock's horizon

std::vector<std::string> design_names() {
  std::vector<std::string> names;
  for (const DesignInfo& info : designs()) names.push_back(info.name);
  return names;
}

// Designs other than `current` that take a parameter called `key`.
std::vector<std::string> designs_with_param(const std::string& key, const std::string& current) {
  std::vector<std::string> owners;
  for (const DesignInfo& info : designs()) {
    if (info.name == current) continue;
    for (const ParamSpec& spec : info.params) {
      if (spec.name == key) owners.push_back(info.name);
    }
  }
  return owners;
}

// "146 years" for messages about the clock's horizon; durations this long have no exact unit text.
std::string format_seconds(double ns) {
  const double years = ns / 1e9 / (365.25 * 24 * 3600);
  char text[64];
  std::snprintf(text, sizeof text, years >= 1 ? "%.0f years" : "%.3g s", years >= 1 ? years : ns / 1e9);
  return text;
}

bool is_max(const Field& f) { return f.node.IsScalar() && f.node.Scalar() == "max"; }

// Unnamed groups are called after their list and position: producers, producers2, producers3, ...
std::string default_group_name(const std::string& list, std::size_t index) {
  return index == 0 ? list : list + std::to_string(index + 1);
}

class ScenarioBuilder {
 public:
  explicit ScenarioBuilder(const Source& source) : source_(source), read_(source) {}

  Scenario build(const YAML::Node& root) {
    const Field top{root, "", root.Mark(), root.Mark()};
    if (!root.IsMap()) read_.fail(top, "the scenario is not a map", "a map with name, queue, producers and consumers");
    const MapView m = read_.map(top, "a scenario map");
    m.check_known({"name", "description", "seed", "repetitions", "duration", "warmup", "drain", "drain_timeout", "metrics",
                   "queue", "producers", "consumers", "network", "broker", "faults", "live"},
                  "the scenario");
    refuse_max(m, {"seed", "repetitions", "duration", "warmup", "drain_timeout"});
    Scenario s;
    s.name = read_.name(m.require("name", "name: letters, digits, '-' and '_'"));
    if (auto f = m.get("description")) s.description = read_.string(*f, "free text");
    if (auto f = m.get("seed")) s.seed = read_.unsigned_integer(*f);
    if (auto f = m.get("repetitions")) s.repetitions = static_cast<std::uint32_t>(read_.integer(*f, 1, kMaxCount));
    if (auto f = m.get("duration")) s.duration = read_.duration(*f, 1);
    if (auto f = m.get("warmup"); f && f->node.IsScalar() && f->node.Scalar() == "auto") {
      s.warmup_auto = true;  // chosen per repetition from the data (MSER-5)
    } else if (f) {
      s.warmup = read_.duration(*f);
      if (s.duration && s.warmup >= *s.duration) {
        read_.fail(*f, "warmup " + f->node.Scalar() + " is not shorter than duration " + m.get("duration")->node.Scalar(),
                   "warmup < duration");
      }
    }
    if (auto f = m.get("drain")) s.drain = read_.flag(*f);
    if (auto f = m.get("drain_timeout")) s.drain_timeout = read_.duration(*f);
    if (auto f = m.get("metrics")) {
      const MapView metrics = read_.map(*f, "a map with interval");
      metrics.check_known({"interval"}, "metrics");
      if (auto interval = metrics.get("interval")) s.metrics_interval = read_.duration(*interval, 1);
    }
    s.queue = read_queue(m);
    s.producers = read_groups<ProducerGroup>(m, "producers", "a list of producer groups", &ScenarioBuilder::read_producer);
    s.consumers = read_groups<ConsumerGroup>(m, "consumers", "a list of consumer groups", &ScenarioBuilder::read_consumer);
    if (auto f = m.get("network")) {
      const MapView network = read_.map(*f, "a map with latency and bandwidth");
      network.check_known({"latency", "bandwidth"}, "network");
      if (auto latency = network.get("latency")) s.network.latency = read_.distribution(*latency, Quantity::duration);
      if (auto bandwidth = network.get("bandwidth")) {
        s.network.bandwidth = fine_quantity(*bandwidth, parse_bandwidth, kMinBandwidth, 1e15, "a bandwidth of 1KB/s to 1PB/s");
      }
    }
    if (auto f = m.get("broker")) s.broker = read_broker(*f);
    if (auto f = m.get("faults")) {
      for (const Field& item : read_.list(*f, "a list of faults")) s.faults.push_back(read_fault(item, s));
    }
    if (auto f = m.get("live")) s.live = read_live(*f);
    check_can_end(s);
    check_horizon(s, m);
    return s;
  }

 private:
  // `broker:` the simulated broker's cost; its bounds keep every service time far from the clock's horizon.
  BrokerSpec read_broker(const Field& field) {
    BrokerSpec broker;
    const MapView m = read_.map(field, "a map with per_message, per_byte and threads");
    m.check_known({"per_message", "per_byte", "threads"}, "broker");
    if (auto f = m.get("per_message")) {
      broker.per_message = read_.duration(*f);
      if (broker.per_message > kSecond) read_.fail(*f, "'" + f->node.Scalar() + "' is out of range", "a duration of at most 1s");
    }
    if (auto f = m.get("per_byte")) broker.per_byte = fine_quantity(*f, parse_per_byte, 0, 1e6, "a duration of at most 1ms per byte");
    if (auto f = m.get("threads")) broker.threads = static_cast<std::uint32_t>(read_.integer(*f, 1, 4096));
    return broker;
  }

  // A quantity of cost_units.hpp in [min, max], or an error at `f`.
  double fine_quantity(const Field& f, double (*parse)(std::string_view), double min, double max, const std::string& range) {
    const std::string text = read_.string(f, range);
    double value = 0;
    try {
      value = parse(text);
    } catch (const UnitError& e) {
      read_.fail(f, e.what(), range);
    }
    if (!(value >= min && value <= max)) read_.fail(f, "'" + text + "' is out of range", range);
    return value;
  }

  // live: {backend_options: {KEY: SCALAR, ...}}. The values keep the type the YAML gives them (true/false,
  // a whole number, a number, else text); which keys a back end knows is its own check (qlab live --backend).
  LiveSpec read_live(const Field& field) {
    LiveSpec live;
    const MapView m = read_.map(field, "a map with backend_options");
    m.check_known({"backend_options"}, "live");
    const auto options = m.get("backend_options");
    if (!options) return live;
    const MapView o = read_.map(*options, "a map of back-end settings (KEY: value)");
    for (const auto& entry : o.entries()) {
      const std::string text = read_.string(entry.second, "a single value (true, 42, 0.5 or a word)");
      if (text == "true" || text == "false") {
        live.backend_options[entry.first] = text == "true";
        continue;
      }
      char* end = nullptr;
      errno = 0;
      const long long whole = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0' && errno == 0) {
        live.backend_options[entry.first] = static_cast<std::int64_t>(whole);
        continue;
      }
      const double number = std::strtod(text.c_str(), &end);
      if (!text.empty() && *end == '\0' && std::isfinite(number)) {
        live.backend_options[entry.first] = number;
        continue;
      }
      live.backend_options[entry.first] = text;
    }
    return live;
  }

  QueueSpec read_queue(const MapView& top) {
    QueueSpec queue;
    const auto field = top.get("queue");
    if (!field) {
      queue.params = with_defaults(*find_design(queue.design), {});
      return queue;
    }
    const MapView m = read_.map(*field, "a map with design and its parameters");
    const auto design_field = m.get("design");
    if (design_field) queue.design = read_.choice(*design_field, design_names(), "design");
    const DesignInfo* info = find_design(queue.design);
    if (info == nullptr) read_.fail(*field, "design '" + queue.design + "' is not registered", "one of " + join(design_names()));
    // A design chosen by --set may meet parameters the file wrote for another design; those are skipped so
    // one file can be compared across designs (`--set queue.design=pull`).
    const bool design_overridden = design_field && source_.from_override(design_field->path);
    std::vector<std::string> known{"design"};
    for (const ParamSpec& spec : info->params) known.push_back(spec.name);
    DesignParams given;
    for (const auto& entry : m.entries()) {
      const std::string& key = entry.first;  // not a structured binding: clang 14 cannot capture those
      const Field& value = entry.second;
      if (key == "design") continue;
      const auto spec = std::find_if(info->params.begin(), info->params.end(), [&](const ParamSpec& p) { return p.name == key; });
      if (spec != info->params.end()) {
        given[key] = read_param(*spec, value);
        continue;
      }
      const std::vector<std::string> owners = designs_with_param(key, queue.design);
      if (owners.empty()) fail_unknown_param(m, value, key, known, queue.design);
      if (design_overridden && !source_.from_override(value.path)) continue;
      source_.fail(value.key_mark, value.path,
                   key + " is a parameter of design " + join(owners, " and ") + ", not of " + queue.design +
                       " (expected queue.design: " + owners.front() + ", or no " + key + ")");
    }
    queue.params = with_defaults(*info, std::move(given));
    return queue;
  }

  // A key no design takes: when it is close to another design's parameter (`visiblity_timeout` under pull),
  // that parameter and its designs are named; otherwise the keys of this design are listed.
  void fail_unknown_param(const MapView& m, const Field& value, const std::string& key, const std::vector<std::string>& known,
                          const std::string& design) const {
    std::vector<std::string> elsewhere;
    for (const DesignInfo& info : designs()) {
      for (const ParamSpec& spec : info.params) {
        if (info.name != design && std::find(known.begin(), known.end(), spec.name) == known.end()) elsewhere.push_back(spec.name);
      }
    }
    const std::string near_known = closest_match(key, known);
    const std::string near_other = closest_match(key, elsewhere);
    if (near_known.empty() && !near_other.empty()) {
      source_.fail(value.key_mark, value.path,
                   "unknown key in queue (design " + design + "); did you mean " + near_other + "? It is a parameter of design " +
                       join(designs_with_param(near_other, design), " and ") + ", not of " + design + " (expected queue.design: " +
                       designs_with_param(near_other, design).front() + ", or one of " + join(known) + ")");
    }
    m.fail_unknown(value, known, "queue (design " + design + ")");
  }

  ParamValue read_param(const ParamSpec& spec, const Field& f) const {
    switch (spec.type) {
      case ParamSpec::Type::duration: return read_.duration(f, spec.min);
      case ParamSpec::Type::count: return read_.integer(f, spec.min, spec.max);
      case ParamSpec::Type::flag: return read_.flag(f);
      case ParamSpec::Type::choice: return read_.choice(f, spec.choices, spec.name);
    }
    return ParamValue{};
  }

  template <typename Group>
  std::vector<Group> read_groups(const MapView& top, const std::string& key, const std::string& expected,
                                 Group (ScenarioBuilder::*read_one)(const Field&, const MapView&, std::size_t)) {
    const Field list_field = top.require(key, key + ": " + expected);
    const std::vector<Field> items = read_.list(list_field, expected);
    if (items.empty()) read_.fail(list_field, "the list is empty", "at least one group");
    std::vector<Group> groups;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const MapView m = read_.map(items[i], "a group map");
      Group group = (this->*read_one)(items[i], m, i);
      const auto name_field = m.get("name");
      if (name_field) {
        group.name = read_.name(*name_field);
      } else {
        group.name = default_group_name(key, i);
      }
      claim_name(group.name, name_field ? *name_field : Field{items[i].node, m.child_path("name"), items[i].mark, items[i].mark},
                 !name_field);
      groups.push_back(std::move(group));
    }
    return groups;
  }

  // Names are unique across producer and consumer groups; `broker` is reserved for fault targets.
  void claim_name(const std::string& name, const Field& f, bool defaulted) {
    const std::string which = defaulted ? "the default name '" + name + "' of this group" : "name '" + name + "'";
    if (name == "broker") read_.fail(f, which + " is reserved for fault targets", "another name");
    for (const auto& [taken, path] : names_) {
      if (taken == name) {
        const std::string owner = path.substr(0, path.size() - std::string(".name").size());
        read_.fail(f, which + " is already used by " + owner,
                   defaulted ? "a name for this group, unique across producers and consumers"
                             : "names unique across producers and consumers");
      }
    }
    names_.emplace_back(name, f.path);
  }

  ProducerGroup read_producer(const Field& item, const MapView& m, std::size_t) {
    m.check_known({"name", "count", "arrival", "rate", "messages", "at", "size", "on_unavailable", "retry", "trace", "keys", "poison"},
                  "a producer group");
    ProducerGroup g;
    if (auto f = m.get("count")) g.count = static_cast<std::uint32_t>(read_.integer(*f, 1, kMaxCount));
    if (auto f = m.get("arrival")) {
      const std::string arrival = read_.choice(*f, {"poisson", "constant", "batch", "trace"}, "arrival");
      g.arrival = arrival == "poisson"    ? Arrival::poisson
                  : arrival == "constant" ? Arrival::constant
                  : arrival == "batch"    ? Arrival::batch
                                          : Arrival::trace;
    }
    const std::string arrival = arrival_name(g.arrival);
    const auto rate = m.get("rate");
    refuse_max(m, {"count", "messages", "at", "size"});
    read_trace_and_keys(m, g);
    if (g.arrival == Arrival::trace) {
      if (rate) read_.fail(*rate, "rate does not apply to trace arrival (the trace gives the times)", "no rate");
      if (auto at = m.get("at")) read_.fail(*at, "at applies only to batch arrival", "arrival: batch, or no at");
    } else if (g.arrival == Arrival::batch) {
      if (rate && is_max(*rate)) {
        read_.fail(*rate, "rate: max (the live rate finder) needs poisson or constant arrival",
                   "arrival: poisson or constant, or a batch without rate");
      }
      if (rate) read_.fail(*rate, "rate does not apply to batch arrival", "messages, and at for when they are published");
      if (!m.get("messages")) {
        m.fail_missing("messages", "batch arrival needs messages", "messages: how many each producer publishes at once");
      }
    } else {
      if (!rate) m.fail_missing("rate", arrival + " arrival needs a rate", "rate: per producer, e.g. 10/s");
      if (is_max(*rate)) {
        g.rate_max = true;  // live mode searches the rate; the simulator refuses the scenario
      } else if (rate->node.IsMap()) {
        g.schedule = read_schedule(*rate);
        g.rate = g.schedule->peak();
      } else {
        g.rate = read_.rate(*rate);
      }
      if (auto at = m.get("at")) read_.fail(*at, "at applies only to batch arrival", "arrival: batch, or no at");
    }
    if (auto f = m.get("messages")) g.messages = static_cast<std::uint64_t>(read_.integer(*f, 1, kMaxInt));
    if (auto f = m.get("at")) g.at = read_.duration(*f);
    if (auto f = m.get("size")) g.size = read_.distribution(*f, Quantity::size);
    if (auto f = m.get("on_unavailable")) {
      g.on_unavailable = read_.choice(*f, {"refuse", "retry"}, "on_unavailable") == "retry" ? OnUnavailable::retry
                                                                                             : OnUnavailable::refuse;
    }
    if (auto f = m.get("retry")) {
      if (g.on_unavailable != OnUnavailable::retry) {
        read_.fail(*f, "retry applies only with on_unavailable: retry", "on_unavailable: retry, or no retry");
      }
      const MapView retry = read_.map(*f, "a map with backoff, max_backoff and limit");
      retry.check_known({"backoff", "max_backoff", "limit"}, "retry");
      if (auto b = retry.get("backoff")) g.retry.backoff = read_.duration(*b, 1);
      if (auto b = retry.get("max_backoff")) g.retry.max_backoff = read_.duration(*b, 1);
      if (auto b = retry.get("limit")) g.retry.limit = read_.duration(*b);
      if (g.retry.max_backoff < g.retry.backoff) {
        read_.fail(*f, "max_backoff is shorter than backoff", "max_backoff >= backoff");
      }
    }
    if (auto f = m.get("poison")) g.poison = probability(*f, "poison");
    producer_fields_.push_back(item);
    return g;
  }

  // `max` is a word only a producer group's rate takes (the live rate finder); elsewhere say so plainly.
  void refuse_max(const MapView& m, std::initializer_list<const char*> keys) const {
    for (const char* key : keys) {
      if (auto f = m.get(key); f && is_max(*f)) {
        read_.fail(*f, "'max' is accepted only as a producer group's rate (the live rate finder)",
                   std::string("a value for ") + key);
      }
    }
  }

  ConsumerGroup read_consumer(const Field&, const MapView& m, std::size_t) {
    m.check_known({"name", "count", "service", "prefetch", "autoscale", "failure"}, "a consumer group");
    refuse_max(m, {"count", "service", "prefetch"});
    ConsumerGroup g;
    if (auto f = m.get("count")) g.count = static_cast<std::uint32_t>(read_.integer(*f, 1, kMaxCount));
    g.service = read_.distribution(m.require("service", "service: a duration or a distribution, e.g. 1s"), Quantity::duration);
    if (auto f = m.get("prefetch")) g.prefetch = static_cast<std::uint32_t>(read_.integer(*f, 1, kMaxCount));
    if (auto f = m.get("failure")) g.failure = read_failure(*f);
    if (auto f = m.get("autoscale")) read_autoscale(*f, m, g);
    return g;
  }

  // ---- time-varying load, traces, keys and autoscaling ----------------------------------------------------

  // A rate inside a schedule: 0 is allowed (an off period), else as any rate.
  double read_schedule_rate(const Field& f) const {
    if (f.node.IsScalar()) {
      try {
        if (parse_rate(f.node.Scalar()) == 0) return 0;
      } catch (const UnitError&) {
      }
    }
    return read_.rate(f);
  }

  std::vector<RateSchedule::Point> read_points(const Field& f) const {
    const std::string expected = "a list of {at: DURATION, rate: RATE}, the first at 0s, times increasing";
    std::vector<RateSchedule::Point> points;
    for (const Field& item : read_.list(f, expected)) {
      const MapView point = read_.map(item, "a map with at and rate");
      point.check_known({"at", "rate"}, "a schedule point");
      const Field at = point.require("at", "at: when this rate starts, e.g. 60s");
      RateSchedule::Point p{read_.duration(at), read_schedule_rate(point.require("rate", "rate: e.g. 10/s"))};
      if (points.empty() && p.at != 0) read_.fail(at, "the first point is at " + at.node.Scalar(), "the first point at 0s");
      if (!points.empty() && p.at <= points.back().at) read_.fail(at, "'" + at.node.Scalar() + "' is not after the previous point", expected);
      points.push_back(p);
    }
    if (points.empty()) read_.fail(f, "the list is empty", expected);
    return points;
  }

  RateSchedule read_schedule(const Field& f) const {
    const MapView m = read_.map(f, "a rate, or a schedule map");
    RateSchedule r;
    if (m.get("steps") || m.get("ramp")) {
      m.check_known({m.get("steps") ? "steps" : "ramp"}, "a rate schedule");
      r.kind = m.get("steps") ? RateSchedule::Kind::steps : RateSchedule::Kind::ramp;
      r.points = read_points(*m.get(m.get("steps") ? "steps" : "ramp"));
    } else if (m.get("on") || m.get("off")) {
      m.check_known({"on", "off", "rate", "off_rate", "start"}, "an on/off rate schedule");
      r.kind = RateSchedule::Kind::on_off;
      r.on = read_.duration(m.require("on", "on: how long each burst lasts, e.g. 5s"), 1);
      r.off = read_.duration(m.require("off", "off: the time between bursts, e.g. 25s"), 1);
      r.high = read_.rate(m.require("rate", "rate: the rate during a burst, e.g. 100/s"));
      if (auto low = m.get("off_rate")) r.low = read_schedule_rate(*low);
      if (auto start = m.get("start")) r.start = read_.duration(*start);
      if (r.on > kMaxHorizon - r.off) read_.fail(f, "on + off is beyond the clock's horizon", "a shorter on or off");
      r.period = r.on + r.off;
    } else if (m.get("mean") || m.get("amplitude") || m.get("period")) {
      m.check_known({"mean", "amplitude", "period", "start"}, "a sine rate schedule");
      r.kind = RateSchedule::Kind::sine;
      r.mean = read_.rate(m.require("mean", "mean: the average rate, e.g. 50/s"));
      const Field amplitude = m.require("amplitude", "amplitude: the swing either side of the mean, e.g. 40/s");
      r.amplitude = read_schedule_rate(amplitude);
      if (r.amplitude > r.mean) read_.fail(amplitude, "the amplitude exceeds the mean (the rate would go negative)", "amplitude <= mean");
      r.period = read_.duration(m.require("period", "period: e.g. 24h"), kMillisecond);
      if (auto start = m.get("start")) r.start = read_.duration(*start);
    } else {
      read_.fail(f, "not a rate schedule", "{steps: [...]}, {ramp: [...]}, {on, off, rate} or {mean, amplitude, period}");
    }
    if (!(r.peak() > 0)) read_.fail(f, "the rate is 0 throughout", "a schedule with some rate > 0");
    return r;
  }

  void read_trace_and_keys(const MapView& m, ProducerGroup& g) const {
    const auto trace = m.get("trace");
    if (trace && g.arrival != Arrival::trace) read_.fail(*trace, "trace applies only to arrival: trace", "arrival: trace, or no trace");
    if (g.arrival == Arrival::trace) {
      if (!trace) m.fail_missing("trace", "trace arrival needs a trace", "trace: FILE.csv, or {file, loop, time_scale}");
      ArrivalTrace loaded;
      Field file = *trace;
      bool loop = false;
      double scale = 1;
      if (trace->node.IsMap()) {
        const MapView t = read_.map(*trace, "a map with file, loop and time_scale");
        t.check_known({"file", "loop", "time_scale"}, "a trace");
        file = t.require("file", "file: the CSV file, relative to the scenario file");
        if (auto f = t.get("loop")) loop = read_.flag(*f);
        if (auto f = t.get("time_scale")) {
          scale = read_.number(*f);
          if (!(scale > 0 && scale <= 1e6)) read_.fail(*f, "time_scale is out of range", "a number > 0 and at most 1000000");
        }
      }
      const std::string name = read_.string(file, "a CSV file, relative to the scenario file");
      const std::filesystem::path resolved = std::filesystem::path(source_.file()).parent_path() / name;
      try {
        loaded = read_arrival_trace(resolved.string(), name);
      } catch (const ScenarioError& e) {
        read_.fail(file, e.what(), "an arrival trace: a header of time[,key][,size], then one arrival per line");
      }
      loaded.loop = loop;
      loaded.time_scale = scale;
      if (loop && loaded.period <= 0) read_.fail(file, "a looped trace whose arrivals are all at 0", "arrivals spread over time");
      if (static_cast<double>(loaded.times.back()) * scale >= static_cast<double>(kMaxHorizon)) {
        read_.fail(file, "the scaled trace is beyond the clock's horizon", "a smaller time_scale");
      }
      g.trace = std::make_shared<const ArrivalTrace>(std::move(loaded));
    }
    if (auto f = m.get("keys")) {
      const MapView k = read_.map(*f, "{dist: uniform, count: K} or {dist: zipf, count: K, s: EXPONENT}");
      const std::string dist = read_.choice(k.require("dist", "dist: uniform or zipf"), {"uniform", "zipf"}, "key distribution");
      k.check_known(dist == "zipf" ? std::vector<std::string>{"dist", "count", "s"} : std::vector<std::string>{"dist", "count"},
                    "a " + dist + " key distribution");
      const Field count = k.require("count", "count: how many distinct keys");
      if (dist == "uniform") {
        g.keys = KeyDistribution::uniform(static_cast<std::uint64_t>(read_.integer(count, 1, kMaxInt)));
      } else {
        const auto keys = static_cast<std::uint64_t>(read_.integer(count, 1, static_cast<std::int64_t>(KeyDistribution::kMaxZipfKeys)));
        const Field s = k.require("s", "s: the Zipf exponent, e.g. 1.1");
        const double exponent = read_.number(s);
        if (!(exponent >= 0 && exponent <= 100)) read_.fail(s, "s is out of range", "an exponent from 0 to 100");
        g.keys = KeyDistribution::zipf(keys, exponent);
      }
    }
  }

  void read_autoscale(const Field& f, const MapView& group, ConsumerGroup& g) const {
    const MapView m = read_.map(f, "a map with min, max, metric, target and the policy's timings");
    m.check_known({"min", "max", "metric", "target", "interval", "scale_up_cooldown", "scale_down_cooldown", "startup_delay", "slo"},
                  "autoscale");
    AutoscaleSpec a;
    a.min = static_cast<std::uint32_t>(read_.integer(m.require("min", "min: the fewest consumers, >= 1"), 1, kMaxAutoscale));
    const Field max = m.require("max", "max: the most consumers");
    a.max = static_cast<std::uint32_t>(read_.integer(max, a.min, kMaxAutoscale));
    const std::vector<std::string> metrics{"backlog_per_consumer", "latency_p99"};
    const std::string metric = read_.choice(m.require("metric", "metric: backlog_per_consumer or latency_p99"), metrics, "metric");
    a.metric = metric == "latency_p99" ? AutoscaleSpec::Metric::latency_p99 : AutoscaleSpec::Metric::backlog_per_consumer;
    const Field target = m.require("target", metric == "latency_p99" ? "target: the p99 latency to keep, e.g. 2s"
                                                                       : "target: waiting messages per consumer, e.g. 10");
    if (a.metric == AutoscaleSpec::Metric::latency_p99) {
      a.target = static_cast<double>(read_.duration(target, 1));
      a.slo = static_cast<Time>(a.target);
    } else {
      a.target = read_.number(target);
      if (!(a.target > 0)) read_.fail(target, "target must be positive", "waiting messages per consumer > 0, e.g. 10");
    }
    if (auto v = m.get("interval")) a.interval = read_.duration(*v, kMillisecond);
    if (auto v = m.get("scale_up_cooldown")) a.scale_up_cooldown = read_.duration(*v);
    if (auto v = m.get("scale_down_cooldown")) a.scale_down_cooldown = read_.duration(*v);
    if (auto v = m.get("startup_delay")) a.startup_delay = read_.duration(*v);
    if (auto v = m.get("slo")) a.slo = read_.duration(*v, 1);
    if (auto count = group.get("count")) {
      if (g.count < a.min || g.count > a.max) {
        read_.fail(*count, "count " + std::to_string(g.count) + " is outside autoscale's min..max", "the initial count, from min to max");
      }
    } else {
      g.count = a.min;
    }
    g.autoscale = a;
  }

  // A number from 0 to 1.
  double probability(const Field& f, const std::string& what) const {
    const double p = read_.number(f);
    if (!(p >= 0 && p <= 1)) read_.fail(f, what + " is a probability", "a number from 0 to 1");
    return p;
  }

  // failure: {p: 0.01, action: release | timeout | crash, restart_after: 5s (crash only)}
  FailureSpec read_failure(const Field& f) const {
    const MapView m = read_.map(f, "a map with p and action, e.g. {p: 0.01, action: release}");
    m.check_known({"p", "action", "restart_after"}, "failure");
    FailureSpec failure;
    failure.p = probability(m.require("p", "p: the chance that one processing fails, e.g. 0.01"), "p");
    if (auto a = m.get("action")) {
      const std::string action = read_.choice(*a, {"release", "timeout", "crash"}, "action");
      failure.action = action == "release" ? FailureAction::release
                       : action == "timeout" ? FailureAction::timeout
                                             : FailureAction::crash;
    }
    if (auto r = m.get("restart_after")) {
      if (failure.action != FailureAction::crash) {
        read_.fail(*r, "restart_after applies only to action: crash", "action: crash, or no restart_after");
      }
      failure.restart_after = read_.duration(*r);
    }
    return failure;
  }

  // Which keys each fault action takes besides at/every/until/action.
  static const std::vector<std::string>& fault_keys(FaultAction action) {
    static const std::map<FaultAction, std::vector<std::string>> keys{
        {FaultAction::crash, {"target", "restart_after"}},
        {FaultAction::stall, {"target", "duration"}},
        {FaultAction::slow, {"target", "factor", "duration"}},
        {FaultAction::broker_crash, {"target", "restart_after"}},
        {FaultAction::partition, {"between", "target", "duration"}},
        {FaultAction::drop, {"hop", "p", "target", "duration"}},
        {FaultAction::delay, {"hop", "extra", "target", "duration"}},
        {FaultAction::producer_crash, {"target", "restart_after"}},
    };
    return keys.at(action);
  }

  FaultSpec read_fault(const Field& item, const Scenario& s) {
    const MapView m = read_.map(item, "a fault map with at or every, action and target");
    static const std::vector<std::string> actions{"crash", "stall", "slow", "broker_crash", "partition", "drop", "delay",
                                                  "producer_crash"};
    FaultSpec fault;
    const std::string action = read_.choice(m.require("action", "action: one of " + join(actions)), actions, "action");
    fault.action = static_cast<FaultAction>(std::find(actions.begin(), actions.end(), action) - actions.begin());
    std::vector<std::string> known{"at", "every", "until", "action"};
    for (const std::string& key : fault_keys(fault.action)) known.push_back(key);
    for (const auto& [key, field] : m.entries()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::vector<std::string> owners;
      for (std::size_t a = 0; a < actions.size(); ++a) {
        const auto& keys = fault_keys(static_cast<FaultAction>(a));
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) owners.push_back(actions[a]);
      }
      if (!owners.empty()) {
        read_.fail(field, key + " applies only to " + join(owners), "one of " + join(fault_keys(fault.action)) + " for a " + action);
      }
    }
    m.check_known(known, "a " + action + " fault");

    const auto at = m.get("at");
    const auto every = m.get("every");
    if (at && every) {
      read_.fail(item, "both at and every given", "exactly one: at for a one-shot fault, every for a recurring one");
    }
    if (!at && !every) m.fail_missing("at", "neither at nor every given", "at: a time, or every: a distribution of gaps");
    if (at) fault.at = read_.duration(*at);
    if (every) fault.every = read_.distribution(*every, Quantity::duration, true);
    if (auto until = m.get("until")) {
      if (!every) read_.fail(*until, "until applies only to recurring faults", "every: ..., or no until");
      fault.until = read_.duration(*until, 1);
    }
    if (auto restart_after = m.get("restart_after")) fault.restart_after = read_.duration(*restart_after);
    if (auto duration = m.get("duration")) fault.duration = read_.duration(*duration, 1);

    switch (fault.action) {
      case FaultAction::crash:
        fault.target = read_target(m.require("target", kConsumerTarget), s, TargetRole::consumer);
        break;
      case FaultAction::stall:
      case FaultAction::slow:
        fault.target = read_target(m.require("target", kConsumerTarget), s, TargetRole::consumer);
        m.require("duration", "duration: how long the " + action + " lasts");
        if (fault.action == FaultAction::slow) {
          const Field f = m.require("factor", "factor: how many times longer each service takes, e.g. 4");
          fault.factor = read_.number(f);
          if (!(fault.factor > 0)) read_.fail(f, "factor must be positive", "a number > 0, e.g. 4");
          check_slow_factor(f, fault.factor, s);
        }
        break;
      case FaultAction::broker_crash:
        if (auto t = m.get("target")) {
          fault.target = read_target(*t, s, TargetRole::broker);
        } else {
          fault.target.kind = FaultTarget::Kind::broker;
          fault.target.text = "broker";
        }
        break;
      case FaultAction::producer_crash:
        fault.target = read_target(m.require("target", "target: a producer group, GROUP[i], GROUP[i..j] or all producers"), s,
                                   TargetRole::producer);
        break;
      case FaultAction::partition: {
        m.require("duration", "duration: how long the partition lasts");
        const auto between = m.get("between");
        const auto target = m.get("target");
        if (between && target) read_.fail(*target, "both between and target given", "between: [CLIENTS, broker], or target: CLIENTS");
        if (!between && !target) m.fail_missing("between", "neither between nor target given", "between: [CLIENTS, broker], or target: CLIENTS to isolate");
        if (target) {
          fault.target = read_target(*target, s, TargetRole::client);
        } else {
          const std::vector<Field> sides = read_.list(*between, "two sides, e.g. [consumers.fast, broker]");
          if (sides.size() != 2) read_.fail(*between, "a partition has two sides", "[CLIENTS, broker]");
          const bool broker_first = read_.string(sides[0], "a side") == "broker";
          const Field& broker = broker_first ? sides[0] : sides[1];
          if (read_.string(broker, "a side") != "broker") {
            read_.fail(broker, "one side of a partition must be the broker (partitions between clients carry no traffic)",
                       "[CLIENTS, broker]");
          }
          fault.target = read_target(broker_first ? sides[1] : sides[0], s, TargetRole::client);
        }
        break;
      }
      case FaultAction::drop:
      case FaultAction::delay: {
        static const std::vector<std::string> hops{"producer->broker", "broker->consumer", "consumer->broker"};
        const std::string hop = read_.choice(m.require("hop", "hop: one of " + join(hops)), hops, "hop");
        fault.hop = static_cast<Hop>(std::find(hops.begin(), hops.end(), hop) - hops.begin());
        m.require("duration", "duration: how long the " + action + " lasts");
        if (fault.action == FaultAction::drop) {
          const Field f = m.require("p", "p: the probability that a message on the hop is dropped, e.g. 0.1");
          fault.probability = probability(f, "p");
        } else {
          fault.extra = read_.distribution(m.require("extra", "extra: the added latency, a duration or a distribution"),
                                           Quantity::duration);
        }
        if (auto t = m.get("target")) {
          fault.target = read_target(*t, s, TargetRole::client);
          const bool producer_hop = fault.hop == Hop::producer_to_broker;
          if (fault.target.producers != producer_hop) {
            read_.fail(*t, "'" + fault.target.text + "' is not on hop " + hop,
                       producer_hop ? "a producer group or member" : "a consumer group or member");
          }
        } else {
          fault.all_clients = true;
          fault.target.text = hop;
        }
        break;
      }
    }
    return fault;
  }

  enum class TargetRole { consumer, producer, client, broker };
  static constexpr const char* kConsumerTarget = "target: a consumer group, GROUP[i], GROUP[i..j], any consumer or all consumers";

  static std::string expected_targets(TargetRole role) {
    switch (role) {
      case TargetRole::consumer: return "a consumer group, GROUP[i], GROUP[i..j], any consumer or all consumers";
      case TargetRole::producer: return "a producer group, GROUP[i], GROUP[i..j] or all producers";
      case TargetRole::client:
        return "a consumer or producer group, GROUP[i] or GROUP[i..j] (optionally consumers.GROUP), all consumers or all producers";
      case TargetRole::broker: return "broker, broker[i] or leader";
    }
    return "";
  }

  FaultTarget read_target(const Field& f, const Scenario& s, TargetRole role) const {
    FaultTarget target;
    target.text = read_.string(f, expected_targets(role));
    if (role == TargetRole::broker) {
      static const std::regex broker_pattern(R"(broker(?:\[(\d{1,4})\])?)");
      std::smatch match;
      if (target.text == "leader") {
        target.kind = FaultTarget::Kind::leader;
      } else if (std::regex_match(target.text, match, broker_pattern)) {
        target.kind = FaultTarget::Kind::broker;
        target.first = match[1].matched ? static_cast<std::uint32_t>(std::stoul(match[1])) : 0;
        const ParamValue* replicas = nullptr;
        if (auto it = s.queue.params.find("replicas"); it != s.queue.params.end()) replicas = &it->second;
        const std::int64_t nodes = replicas ? std::get<std::int64_t>(*replicas) : 1;
        if (target.first >= nodes) {
          read_.fail(f, "'" + target.text + "' is out of range: the " + s.queue.design + " design has " +
                            std::to_string(nodes) + " broker node" + (nodes == 1 ? "" : "s"),
                     "broker nodes from 0 to " + std::to_string(nodes - 1));
        }
      } else {
        read_.fail(f, "'" + target.text + "' is not a broker node", expected_targets(role));
      }
      return target;
    }
    if (target.text == "any consumer" && role == TargetRole::consumer) {
      target.kind = FaultTarget::Kind::any_consumer;
      return target;
    }
    if (target.text == "all consumers" || target.text == "all producers") {
      target.kind = FaultTarget::Kind::all;
      target.producers = target.text == "all producers";
      const bool fits = role == TargetRole::client || (role == TargetRole::producer) == target.producers;
      if (!fits) read_.fail(f, "this action does not target " + target.text.substr(4), expected_targets(role));
      return target;
    }
    if (target.text == "broker" || target.text == "leader") {
      read_.fail(f, "the broker is not a target of this action (broker_crash crashes it)", expected_targets(role));
    }
    static const std::regex pattern(R"((?:(consumers|producers)\.)?([A-Za-z0-9_-]+)(?:\[(\d{1,9})(?:\.\.(\d{1,9}))?\])?)");
    std::smatch match;
    if (!std::regex_match(target.text, match, pattern)) {
      read_.fail(f, "'" + target.text + "' is not a target", expected_targets(role));
    }
    const std::string group = match[2];
    std::vector<std::string> consumer_names;
    for (const ConsumerGroup& g : s.consumers) consumer_names.push_back(g.name);
    std::vector<std::string> producer_names;
    for (const ProducerGroup& g : s.producers) producer_names.push_back(g.name);
    const auto consumer_it = std::find(consumer_names.begin(), consumer_names.end(), group);
    const auto producer_it = std::find(producer_names.begin(), producer_names.end(), group);
    const bool want_consumers = role == TargetRole::consumer || (role == TargetRole::client && match[1] != "producers");
    const bool want_producers = role == TargetRole::producer || (role == TargetRole::client && match[1] != "consumers");
    std::uint32_t count = 0;
    if (want_consumers && consumer_it != consumer_names.end()) {
      target.group = static_cast<std::size_t>(consumer_it - consumer_names.begin());
      count = s.consumers[target.group].count;
    } else if (want_producers && producer_it != producer_names.end()) {
      target.producers = true;
      target.group = static_cast<std::size_t>(producer_it - producer_names.begin());
      count = s.producers[target.group].count;
    } else {
      std::vector<std::string> candidates;
      if (want_consumers) candidates.insert(candidates.end(), consumer_names.begin(), consumer_names.end());
      if (want_producers) candidates.insert(candidates.end(), producer_names.begin(), producer_names.end());
      const std::string hint = closest_match(group, candidates);
      const bool other_side = consumer_it != consumer_names.end() || producer_it != producer_names.end();
      const bool is_producer = producer_it != producer_names.end();
      const std::string what = other_side ? "'" + group + "' is a " + (is_producer ? "producer" : "consumer") +
                                                " group, and this action targets " + (is_producer ? "consumers" : "producers")
                                          : "unknown group '" + group + "'";
      source_.fail(f.mark, f.path, what + " (" + (hint.empty() ? "" : "did you mean '" + hint + "'? ") + "expected " +
                                       expected_targets(role) + ": one of " + join(candidates) + ")");
    }
    if (!match[3].matched) {
      target.kind = FaultTarget::Kind::group;
      target.last = count - 1;
      return target;
    }
    target.first = static_cast<std::uint32_t>(std::stoul(match[3]));
    target.last = match[4].matched ? static_cast<std::uint32_t>(std::stoul(match[4])) : target.first;
    target.kind = match[4].matched ? FaultTarget::Kind::range : FaultTarget::Kind::member;
    if (target.first > target.last) {
      read_.fail(f, "'" + target.text + "' is an empty range", "GROUP[first..last] with first <= last");
    }
    if (target.last >= count) {
      read_.fail(f, "'" + target.text + "' is out of range: " + group + " has " + std::to_string(count) + " members",
                 "member indexes from 0 to " + std::to_string(count - 1));
    }
    return target;
  }

  // Slowed service times are converted back to integer nanoseconds: the longest mean service times the factor
  // must stay on the clock.
  void check_slow_factor(const Field& f, double factor, const Scenario& s) const {
    double longest = 0;
    for (const ConsumerGroup& g : s.consumers) {
      const Distribution& d = g.service;
      longest = std::max(longest, d.kind() == Distribution::Kind::uniform ? d.b() : d.mean());
    }
    if (factor > kMaxSlowFactor || longest * factor > static_cast<double>(kMaxHorizon)) {
      read_.fail(f, "'" + f.node.Scalar() + "' is out of range", "a factor of at most 1000000 whose product with the longest "
                 "mean service stays within the clock's horizon of " + format_seconds(static_cast<double>(kMaxHorizon)));
    }
  }

  // The run ends at the latest drain_timeout after publishing ends; every time up to there, plus one more
  // duration, must fit the clock.
  void check_horizon(const Scenario& s, const MapView& m) const {
    if (!s.duration) {
      // The messages end the run: their spacing must keep it within the clock's horizon.
      for (std::size_t i = 0; i < s.producers.size(); ++i) {
        const ProducerGroup& g = s.producers[i];
        if (g.rate <= 0 || !g.messages) continue;  // batch, rate: max, or a trace that ends by itself
        const double span = static_cast<double>(*g.messages) * static_cast<double>(kSecond) / g.rate;
        if (span <= static_cast<double>(kMaxHorizon)) continue;
        const MapView group = read_.map(producer_fields_.at(i), "a group map");
        read_.fail(*group.get("messages"), group.get("messages")->node.Scalar() + " messages at " + group.get("rate")->node.Scalar() +
                       " take " + format_seconds(span) + ", beyond the clock's horizon of " +
                       format_seconds(static_cast<double>(kMaxHorizon)),
                   "fewer messages or a higher rate");
      }
      return;
    }
    const Time longest = s.drain ? kMaxHorizon - s.drain_timeout : kMaxHorizon;
    if (*s.duration <= longest) return;
    const auto drain_timeout = m.get("drain_timeout");
    read_.fail(drain_timeout && s.drain ? *drain_timeout : *m.get("duration"),
               "duration " + format_duration(*s.duration) + (s.drain ? " + drain_timeout " + format_duration(s.drain_timeout) : "") +
                   " is beyond the clock's horizon of " + format_seconds(static_cast<double>(kMaxHorizon)),
               "a shorter duration or drain_timeout");
  }

  void check_can_end(const Scenario& s) const {
    if (s.duration) return;
    for (std::size_t i = 0; i < s.producers.size(); ++i) {
      if (s.producers[i].messages || (s.producers[i].trace && !s.producers[i].trace->loop)) continue;
      const Field group = producer_fields_.at(i);
      read_.fail(group, "this scenario cannot end: group '" + s.producers[i].name + "' publishes without end and there is no duration",
                 "messages on every producer group, or a top-level duration");
    }
  }

  const Source& source_;
  NodeReader read_;
  std::vector<std::pair<std::string, std::string>> names_;  // name, path of its name key
  std::vector<Field> producer_fields_;
};

}  // namespace

qlab::Scenario load_scenario_node(YAML::Node root, const std::string& source_name, const std::vector<Override>& overrides) {
  const std::vector<Override> resolved = resolve_group_names(root, overrides);
  const Source source(source_name, resolved);
  if (!root.IsDefined() || root.IsNull()) {
    source.fail(root.Mark(), "", "the scenario is empty (expected a map with name, queue, producers and consumers)");
  }
  return ScenarioBuilder(source).build(apply_overrides(std::move(root), resolved));
}

qlab::Scenario load_scenario_text(const std::string& yaml, const std::string& source_name, const std::vector<Override>& overrides) {
  return load_scenario_node(parse_yaml(yaml, source_name, "a YAML map"), source_name, overrides);
}

qlab::Scenario load_scenario_file(const std::string& file, const std::vector<Override>& overrides) {
  return load_scenario_text(read_text_file(file, "a scenario file"), file, overrides);
}

void check_simulatable(const qlab::Scenario& scenario, const std::string& source) {
  // `rate: max` asks live mode to find the rate; a simulated system has no measured limit to find.
  for (std::size_t g = 0; g < scenario.producers.size(); ++g) {
    if (!scenario.producers[g].rate_max) continue;
    const std::string path = "producers[" + std::to_string(g) + "]";
    throw ScenarioError(source + ": " + path + " (" + scenario.producers[g].name +
                        "): rate: max is live-only (the rate finder of qlab live); the simulator needs a rate "
                        "(expected e.g. rate: 100/s, or --set " + path + ".rate=100/s)");
  }
}

}  // namespace qlab::workloads
