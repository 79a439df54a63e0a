#include "scenario_scaling.hpp"

#include <cmath>

namespace qlab::live {
namespace {

Time scale(Time t, double factor) {
  if (t == kNever) return t;
  return static_cast<Time>(std::llround(static_cast<double>(t) * factor));
}

std::optional<Time> scale(const std::optional<Time>& t, double factor) {
  if (!t) return t;
  return scale(*t, factor);
}

}  // namespace

DesignParams scale_design_params(const DesignInfo& design, const DesignParams& params, double factor) {
  DesignParams out = params;
  for (const ParamSpec& spec : design.params) {
    if (spec.type != ParamSpec::Type::duration) continue;
    const auto it = out.find(spec.name);
    if (it == out.end()) continue;
    if (const auto* t = std::get_if<std::int64_t>(&it->second)) {
      it->second = std::max<std::int64_t>(spec.min, scale(*t, factor));
    }
  }
  return out;
}

Scenario scale_scenario(const Scenario& scenario, double factor) {
  if (factor == 1.0) return scenario;
  Scenario s = scenario;
  s.duration = scale(s.duration, factor);
  s.warmup = scale(s.warmup, factor);
  s.drain_timeout = scale(s.drain_timeout, factor);
  s.metrics_interval = scale(s.metrics_interval, factor);
  if (const DesignInfo* design = find_design(s.queue.design)) {
    s.queue.params = scale_design_params(*design, s.queue.params, factor);
  }
  for (ProducerGroup& p : s.producers) {
    p.rate /= factor;
    p.at = scale(p.at, factor);
    p.retry.backoff = scale(p.retry.backoff, factor);
    p.retry.max_backoff = scale(p.retry.max_backoff, factor);
    p.retry.limit = scale(p.retry.limit, factor);
  }
  for (ConsumerGroup& c : s.consumers) c.service = c.service.scaled(factor);
  s.network.latency = s.network.latency.scaled(factor);
  for (FaultSpec& f : s.faults) {
    f.at = scale(f.at, factor);
    if (f.every) f.every = f.every->scaled(factor);
    f.until = scale(f.until, factor);
    f.restart_after = scale(f.restart_after, factor);
    f.duration = scale(f.duration, factor);
    f.extra = f.extra.scaled(factor);
  }
  return s;
}

}  // namespace qlab::live
