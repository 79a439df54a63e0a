#pragma once
// The random streams of entities whose names share a prefix ("consumer/fast/3/"), derived without building
// their names. A name's hash (FNV-1a) is taken one character after the other, so the hash of a prefix,
// carried on over the rest of each name, gives every stream bit for bit as RandomStream::derive does from the
// whole name. The simulator derives a few streams for each of up to 100,000 consumers this way.
#include <cstdint>
#include <string_view>

#include "random_stream.hpp"

namespace qlab {

class StreamFamily {
 public:
  // The streams of a run seeded with `seed` whose names start with `prefix`.
  explicit StreamFamily(std::uint64_t seed, std::string_view prefix = {});
  // The family of the names that go on with `more` after this family's prefix.
  StreamFamily then(std::string_view more) const;
  // The family of the names that go on with `number` in decimal after this family's prefix.
  StreamFamily numbered(std::uint64_t number) const;
  // The stream of the entity called prefix + `rest`: RandomStream::derive(seed, prefix + rest).
  RandomStream derive(std::string_view rest = {}) const;

 private:
  StreamFamily(std::uint64_t seed_mix, std::uint64_t hash) : seed_mix_(seed_mix), hash_(hash) {}

  std::uint64_t seed_mix_;  // mix64(seed)
  std::uint64_t hash_;      // FNV-1a of the prefix
};

}  // namespace qlab
