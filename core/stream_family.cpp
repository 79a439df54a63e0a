#include "stream_family.hpp"

#include <charconv>

namespace qlab {
namespace {

constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;

// FNV-1a of what was hashed into `hash` followed by `text`.
constexpr std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
  for (char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return hash;
}

}  // namespace

StreamFamily::StreamFamily(std::uint64_t seed, std::string_view prefix)
    : seed_mix_(mix64(seed)), hash_(fnv1a(kFnvOffsetBasis, prefix)) {}

StreamFamily StreamFamily::then(std::string_view more) const { return StreamFamily(seed_mix_, fnv1a(hash_, more)); }

StreamFamily StreamFamily::numbered(std::uint64_t number) const {
  char digits[20];  // 2^64 has 20 decimal digits
  const auto written = std::to_chars(digits, digits + sizeof digits, number);
  return then(std::string_view(digits, static_cast<std::size_t>(written.ptr - digits)));
}

RandomStream StreamFamily::derive(std::string_view rest) const { return RandomStream(seed_mix_ ^ fnv1a(hash_, rest)); }

}  // namespace qlab
