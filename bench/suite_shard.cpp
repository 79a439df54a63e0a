#include "bench/suite_shard.hpp"

#include <charconv>

#include "workloads/scenario_error.hpp"

namespace qlab::bench {
namespace {

bool read_number(const std::string& text, unsigned& value) {
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && p == end && !text.empty();
}

}  // namespace

Shard parse_shard(const std::string& text, const std::string& option) {
  const std::size_t slash = text.find('/');
  Shard shard;
  const bool numbers = slash != std::string::npos && read_number(text.substr(0, slash), shard.index) &&
                       read_number(text.substr(slash + 1), shard.count);
  if (!numbers || shard.count == 0 || shard.index == 0 || shard.index > shard.count) {
    throw workloads::ScenarioError(option + " " + text + ": not a shard (expected I/N with 1 <= I <= N, e.g. 2/8)");
  }
  return shard;
}

}  // namespace qlab::bench
