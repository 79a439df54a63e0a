#include "random_stream.hpp"

#include "stream_family.hpp"

namespace qlab {
namespace {
__extension__ typedef unsigned __int128 UInt128;  // GCC/Clang built-in, for the 64x64->128 multiply

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

RandomStream RandomStream::derive(std::uint64_t seed, std::string_view name) {
  return StreamFamily(seed, name).derive();
}

std::uint64_t RandomStream::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double RandomStream::next_open01() {
  // 53 random bits, shifted by half a step so the result lies strictly inside (0, 1).
  return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

std::uint64_t RandomStream::next_below(std::uint64_t bound) {
  // Lemire's nearly-divisionless method.
  UInt128 m = static_cast<UInt128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = -bound % bound;
    while (low < threshold) {
      m = static_cast<UInt128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace qlab
