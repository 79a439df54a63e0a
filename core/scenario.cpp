#include "scenario.hpp"

namespace qlab {

const char* arrival_name(Arrival arrival) {
  switch (arrival) {
    case Arrival::poisson: return "poisson";
    case Arrival::constant: return "constant";
    case Arrival::batch: return "batch";
  }
  return "?";
}

const char* fault_action_name(FaultAction action) {
  switch (action) {
    case FaultAction::crash: return "crash";
    case FaultAction::stall: return "stall";
  }
  return "?";
}

}  // namespace qlab
