#include "workloads/scenario_writer.hpp"

#include <cmath>

#include "core/units.hpp"
#include "workloads/cost_units.hpp"
#include "queues/design_registry.hpp"

namespace qlab::workloads {
namespace {

using Json = nlohmann::ordered_json;

std::string format_quantity(double value, Quantity unit) {
  const auto whole = static_cast<std::int64_t>(std::llround(value));
  return unit == Quantity::duration ? format_duration(whole) : format_size(whole);
}

Json param_to_json(const ParamValue& value, const ParamSpec* spec) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    if (spec != nullptr && spec->type == ParamSpec::Type::duration) return format_duration(*number);
    return *number;
  }
  if (const auto* flag = std::get_if<bool>(&value)) return *flag;
  return std::get<std::string>(value);
}

Json queue_to_json(const QueueSpec& queue) {
  Json out{{"design", queue.design}};
  const DesignInfo* info = find_design(queue.design);
  // In the design's parameter order; anything the registry does not list comes after, by name.
  if (info != nullptr) {
    for (const ParamSpec& spec : info->params) {
      if (auto it = queue.params.find(spec.name); it != queue.params.end()) out[spec.name] = param_to_json(it->second, &spec);
    }
  }
  for (const auto& [name, value] : queue.params) {
    if (!out.contains(name)) out[name] = param_to_json(value, nullptr);
  }
  return out;
}

// ---- time-varying load, traces, keys and autoscaling: written only when present ---------------------------

Json schedule_to_json(const RateSchedule& r) {
  using Kind = RateSchedule::Kind;
  switch (r.kind) {
    case Kind::steps:
    case Kind::ramp: {
      Json points = Json::array();
      for (const RateSchedule::Point& p : r.points) points.push_back(Json{{"at", format_duration(p.at)}, {"rate", format_rate(p.rate)}});
      return Json{{r.kind == Kind::steps ? "steps" : "ramp", points}};
    }
    case Kind::on_off:
      return Json{{"on", format_duration(r.on)}, {"off", format_duration(r.off)}, {"rate", format_rate(r.high)},
                  {"off_rate", format_rate(r.low)}, {"start", format_duration(r.start)}};
    case Kind::sine:
      return Json{{"mean", format_rate(r.mean)}, {"amplitude", format_rate(r.amplitude)},
                  {"period", format_duration(r.period)}, {"start", format_duration(r.start)}};
  }
  return Json();
}

void add_load_shape(Json& out, const ProducerGroup& g) {
  if (g.schedule) out["rate"] = schedule_to_json(*g.schedule);
  if (g.trace) out["trace"] = Json{{"file", g.trace->file}, {"loop", g.trace->loop}, {"time_scale", g.trace->time_scale}};
  if (g.keys) {
    out["keys"] = Json{{"dist", g.keys->kind() == KeyDistribution::Kind::zipf ? "zipf" : "uniform"}, {"count", g.keys->count()}};
    if (g.keys->kind() == KeyDistribution::Kind::zipf) out["keys"]["s"] = g.keys->exponent();
  }
}

Json autoscale_to_json(const AutoscaleSpec& a) {
  const bool latency = a.metric == AutoscaleSpec::Metric::latency_p99;
  Json out{{"min", a.min}, {"max", a.max}, {"metric", autoscale_metric_name(a.metric)}};
  out["target"] = latency ? Json(format_duration(static_cast<Time>(a.target))) : Json(a.target);
  out["interval"] = format_duration(a.interval);
  out["scale_up_cooldown"] = format_duration(a.scale_up_cooldown);
  out["scale_down_cooldown"] = format_duration(a.scale_down_cooldown);
  out["startup_delay"] = format_duration(a.startup_delay);
  if (a.slo) out["slo"] = format_duration(*a.slo);
  return out;
}

Json producer_to_json(const ProducerGroup& g) {
  Json out{{"name", g.name}, {"count", g.count}, {"arrival", arrival_name(g.arrival)}};
  if (g.arrival != Arrival::batch && g.arrival != Arrival::trace) out["rate"] = g.rate_max ? std::string("max") : format_rate(g.rate);
  add_load_shape(out, g);
  if (g.messages) out["messages"] = *g.messages;
  if (g.arrival == Arrival::batch) out["at"] = format_duration(g.at);
  out["size"] = distribution_to_json(g.size, Quantity::size);
  out["on_unavailable"] = on_unavailable_name(g.on_unavailable);
  if (g.on_unavailable == OnUnavailable::retry) {
    out["retry"] = Json{{"backoff", format_duration(g.retry.backoff)},
                        {"max_backoff", format_duration(g.retry.max_backoff)},
                        {"limit", format_duration(g.retry.limit)}};
  }
  if (g.poison > 0) out["poison"] = g.poison;
  return out;
}

Json consumer_to_json(const ConsumerGroup& g) {
  Json out{{"name", g.name},
           {"count", g.count},
           {"service", distribution_to_json(g.service, Quantity::duration)},
           {"prefetch", g.prefetch}};
  if (g.autoscale) out["autoscale"] = autoscale_to_json(*g.autoscale);
  if (g.failure.p > 0) {
    out["failure"] = Json{{"p", g.failure.p}, {"action", failure_action_name(g.failure.action)}};
    if (g.failure.restart_after) out["failure"]["restart_after"] = format_duration(*g.failure.restart_after);
  }
  return out;
}

Json fault_to_json(const FaultSpec& f) {
  Json out = Json::object();
  if (f.at) out["at"] = format_duration(*f.at);
  if (f.every) out["every"] = distribution_to_json(*f.every, Quantity::duration);
  if (f.until) out["until"] = format_duration(*f.until);
  out["action"] = fault_action_name(f.action);
  if (f.action == FaultAction::drop || f.action == FaultAction::delay) out["hop"] = hop_name(f.hop);
  if (!f.all_clients) out["target"] = f.target.text;
  if (f.restart_after) out["restart_after"] = format_duration(*f.restart_after);
  switch (f.action) {
    case FaultAction::slow:
      out["factor"] = f.factor;
      [[fallthrough]];
    case FaultAction::stall:
    case FaultAction::partition:
      out["duration"] = format_duration(f.duration);
      break;
    case FaultAction::drop:
      out["p"] = f.probability;
      out["duration"] = format_duration(f.duration);
      break;
    case FaultAction::delay:
      out["extra"] = distribution_to_json(f.extra, Quantity::duration);
      out["duration"] = format_duration(f.duration);
      break;
    case FaultAction::crash:
    case FaultAction::broker_crash:
    case FaultAction::producer_crash:
      break;
  }
  return out;
}

}  // namespace

Json distribution_to_json(const Distribution& d, Quantity unit) {
  using Kind = Distribution::Kind;
  if (d.kind() == Kind::constant) return format_quantity(d.a(), unit);
  Json out{{"dist", Distribution::kind_name(d.kind())}};
  switch (d.kind()) {
    case Kind::constant:
      break;
    case Kind::exponential:
      out["mean"] = format_quantity(d.a(), unit);
      break;
    case Kind::uniform:
      out["min"] = format_quantity(d.a(), unit);
      out["max"] = format_quantity(d.b(), unit);
      break;
    case Kind::lognormal:
      out["mean"] = format_quantity(d.a(), unit);
      out["cv"] = d.b();
      break;
    case Kind::pareto:
      out["mean"] = format_quantity(d.a(), unit);
      out["shape"] = d.b();
      break;
    case Kind::erlang:
      out["k"] = static_cast<std::int64_t>(d.b());
      out["mean"] = format_quantity(d.a(), unit);
      break;
  }
  return out;
}

Json scenario_to_json(const Scenario& s) {
  Json out{{"name", s.name}, {"description", s.description}, {"seed", s.seed}, {"repetitions", s.repetitions}};
  if (s.duration) out["duration"] = format_duration(*s.duration);
  out["warmup"] = s.warmup_auto ? std::string("auto") : format_duration(s.warmup);
  out["drain"] = s.drain;
  out["drain_timeout"] = format_duration(s.drain_timeout);
  out["metrics"] = Json::object();
  if (s.metrics_interval) out["metrics"]["interval"] = format_duration(*s.metrics_interval);
  out["queue"] = queue_to_json(s.queue);
  out["producers"] = Json::array();
  for (const ProducerGroup& g : s.producers) out["producers"].push_back(producer_to_json(g));
  out["consumers"] = Json::array();
  for (const ConsumerGroup& g : s.consumers) out["consumers"].push_back(consumer_to_json(g));
  out["network"] = Json{{"latency", distribution_to_json(s.network.latency, Quantity::duration)}};
  // Written only when set, so that scenarios without them resolve exactly as before.
  if (s.network.bandwidth > 0) out["network"]["bandwidth"] = format_bandwidth(s.network.bandwidth);
  if (s.broker.costs()) {
    out["broker"] = Json{{"per_message", format_duration(s.broker.per_message)},
                         {"per_byte", format_per_byte(s.broker.per_byte)},
                         {"threads", s.broker.threads}};
  }
  out["faults"] = Json::array();
  for (const FaultSpec& f : s.faults) out["faults"].push_back(fault_to_json(f));
  if (!s.live.backend_options.empty()) {  // written only when given: a scenario without them reads as before
    Json options = Json::object();
    for (const auto& option : s.live.backend_options) {  // not a structured binding: clang 14 cannot capture one
      Json& slot = options[option.first];
      std::visit([&slot](const auto& v) { slot = v; }, option.second);
    }
    out["live"] = Json{{"backend_options", options}};
  }
  return out;
}

}  // namespace qlab::workloads
