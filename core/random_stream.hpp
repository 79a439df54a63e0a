#pragma once
// Seeded, independent random streams. Every entity derives its own stream from the run seed and a stable
// name ("consumer/fast/3/service"), so adding an entity never shifts the numbers another entity draws.
// The generator is xoshiro256** seeded through splitmix64; its output is identical on every platform.
#include <cstdint>
#include <string_view>

namespace qlab {

// splitmix64's finaliser: a bijective 64-bit mix, used to derive seeds.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The seed of repetition `repetition` of a scenario whose seed is `seed`.
constexpr std::uint64_t repetition_seed(std::uint64_t seed, std::uint32_t repetition) {
  return mix64(mix64(seed) ^ mix64(0x5eed0000ULL + repetition));
}

class RandomStream {
 public:
  // Inline and constexpr: a default stream (seed 1, which the simulator gives every consumer record before
  // deriving its streams) then costs no more than copying four constants.
  explicit constexpr RandomStream(std::uint64_t seed = 1) {
    std::uint64_t x = seed;
    for (auto& word : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      word = mix64(x);
    }
  }
  // The stream of the entity called `name` within a run seeded with `seed`.
  static RandomStream derive(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64();
  // Uniform in (0, 1): never exactly 0 or 1, so log() and divisions are safe.
  double next_open01();
  // Uniform integer in [0, bound), bound > 0, without modulo bias.
  std::uint64_t next_below(std::uint64_t bound);

 private:
  std::uint64_t s_[4] = {};
};

}  // namespace qlab
