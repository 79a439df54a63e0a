#pragma once
// The random streams of entities whose names share a prefix ("consumer/fast/3/"), derived without building
// their names. A name's hash (FNV-1a) is taken one character after the other, so the hash of a prefix,
// carried on over the rest of each name, gives every stream bit for bit as RandomStream::derive does from the
// whole name. The simulator derives a few streams for each of up to 100,000 consumers this way; inline, so
// that the hash of a literal rest ("/service") unrolls.
#include <charconv>
#include <cstdint>
#include <string_view>

#include "random_stream.hpp"

namespace qlab {

class StreamFamily {
 public:
  // The streams of a run seeded with `seed` whose names start with `prefix`.
  explicit constexpr StreamFamily(std::uint64_t seed, std::string_view prefix = {})
      : StreamFamily(mix64(seed), fnv1a(kFnvOffsetBasis, prefix)) {}
  // The family of the names that go on with `more` after this family's prefix.
  constexpr StreamFamily then(std::string_view more) const { return StreamFamily(seed_mix_, fnv1a(hash_, more)); }
  // The family of the names that go on with `number` in decimal after this family's prefix.
  StreamFamily numbered(std::uint64_t number) const {
    char digits[20];  // 2^64 has 20 decimal digits
    const auto written = std::to_chars(digits, digits + sizeof digits, number);
    return then(std::string_view(digits, static_cast<std::size_t>(written.ptr - digits)));
  }
  // The stream of the entity called prefix + `rest`: RandomStream::derive(seed, prefix + rest).
  constexpr RandomStream derive(std::string_view rest = {}) const { return RandomStream(seed_mix_ ^ fnv1a(hash_, rest)); }

 private:
  static constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;

  constexpr StreamFamily(std::uint64_t seed_mix, std::uint64_t hash) : seed_mix_(seed_mix), hash_(hash) {}
  // FNV-1a of what was hashed into `hash` followed by `text`.
  static constexpr std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
    for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return hash;
  }

  std::uint64_t seed_mix_;  // mix64(seed)
  std::uint64_t hash_;      // FNV-1a of the prefix
};

}  // namespace qlab
