// libFuzzer target: any text given to the suite loader is either a Suite or a ScenarioError. The text
// stands for a file in bench/suites/ of the source tree, so `scenario:` paths reach the real scenarios.
#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/suite.hpp"
#include "workloads/scenario_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const qlab::bench::Suite suite = qlab::bench::load_suite_text(text, QLAB_SUITES_DIR "/fuzz.yaml");
    (void)suite.param_columns();
    (void)suite.task_count();
  } catch (const qlab::workloads::ScenarioError&) {
  }
  return 0;
}
