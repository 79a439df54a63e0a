#pragma once
// Random small scenarios with random fault schedules, one per seed: a few producers and consumers, random
// arrival and service distributions, a random registered design with random valid parameters, and up to
// six faults of every action, at fixed times or recurring. Bounded so that a case simulates in milliseconds.
// The case is a scenario document (the YAML/JSON the loader reads), so it can be shrunk by editing the
// document and reloaded or printed as it is.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace qlab::chaos {

struct GeneratorOptions {
  std::string design;  // empty: any registered design, chosen by the seed
};

// The same seed and options always give the same document.
nlohmann::ordered_json generate_case(std::uint64_t seed, const GeneratorOptions& options = {});

}  // namespace qlab::chaos
