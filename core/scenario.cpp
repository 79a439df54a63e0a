#include "scenario.hpp"

#include <algorithm>

namespace qlab {

const char* arrival_name(Arrival arrival) {
  switch (arrival) {
    case Arrival::poisson: return "poisson";
    case Arrival::constant: return "constant";
    case Arrival::batch: return "batch";
    case Arrival::trace: return "trace";
  }
  return "?";
}

const char* autoscale_metric_name(AutoscaleSpec::Metric metric) {
  return metric == AutoscaleSpec::Metric::latency_p99 ? "latency_p99" : "backlog_per_consumer";
}

const char* on_unavailable_name(OnUnavailable policy) {
  return policy == OnUnavailable::retry ? "retry" : "refuse";
}

Time RetryPolicy::delay(std::uint32_t attempt) const {
  Time wait = backoff;
  for (std::uint32_t a = 1; a < attempt && wait < max_backoff; ++a) wait *= 2;
  return std::min(wait, max_backoff);
}

const char* fault_action_name(FaultAction action) {
  switch (action) {
    case FaultAction::crash: return "crash";
    case FaultAction::stall: return "stall";
    case FaultAction::slow: return "slow";
    case FaultAction::broker_crash: return "broker_crash";
    case FaultAction::partition: return "partition";
    case FaultAction::drop: return "drop";
    case FaultAction::delay: return "delay";
    case FaultAction::producer_crash: return "producer_crash";
  }
  return "?";
}

const char* hop_name(Hop hop) {
  switch (hop) {
    case Hop::producer_to_broker: return "producer->broker";
    case Hop::broker_to_consumer: return "broker->consumer";
    case Hop::consumer_to_broker: return "consumer->broker";
  }
  return "?";
}

const char* failure_action_name(FailureAction action) {
  switch (action) {
    case FailureAction::release: return "release";
    case FailureAction::timeout: return "timeout";
    case FailureAction::crash: return "crash";
  }
  return "?";
}

}  // namespace qlab
