// libFuzzer target: any text given to the scenario loader is either a Scenario or a ScenarioError, and an
// accepted scenario survives the trip through its resolved JSON unchanged (the writer's contract). The
// memory estimate runs on it too, as `qlab run` would before refusing or starting it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "workloads/memory_estimate.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  qlab::Scenario scenario;
  try {
    scenario = qlab::workloads::load_scenario_text(text, "fuzz.yaml");
  } catch (const qlab::workloads::ScenarioError&) {
    return 0;
  }
  (void)qlab::workloads::estimate_memory(scenario, 2);
  const std::string resolved = qlab::workloads::scenario_to_json(scenario).dump();
  const qlab::Scenario again = qlab::workloads::load_scenario_text(resolved, "resolved.json");
  if (qlab::workloads::scenario_to_json(again).dump() != resolved) __builtin_trap();
  return 0;
}
