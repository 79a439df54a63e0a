#include "core/stream_family.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace qlab {
namespace {

// The first `draws` numbers of two streams agree.
void expect_same_numbers(RandomStream a, RandomStream b, int draws = 16) {
  for (int i = 0; i < draws; ++i) ASSERT_EQ(a.next_u64(), b.next_u64()) << "draw " << i;
}

TEST(StreamFamily, NumberedMembersDrawAsTheStreamsOfTheirWholeNames) {
  const std::uint64_t numbers[] = {0, 7, 9, 10, 99, 100, 12345, 99999, std::numeric_limits<std::uint32_t>::max(),
                                   std::numeric_limits<std::uint64_t>::max()};
  for (const std::uint64_t seed : {std::uint64_t{1}, std::uint64_t{42}, repetition_seed(99, 3)}) {
    const StreamFamily group = StreamFamily(seed, "consumer/").then("fast").then("/");
    for (const std::uint64_t i : numbers) {
      for (const char* rest : {"/service", "/network-out", "/network-in", "/failure"}) {
        SCOPED_TRACE(std::to_string(seed) + " " + std::to_string(i) + rest);
        expect_same_numbers(group.numbered(i).derive(rest),
                            RandomStream::derive(seed, "consumer/fast/" + std::to_string(i) + rest));
      }
    }
  }
}

TEST(StreamFamily, APrefixAloneAndSplitAnywhereNamesTheSameStream) {
  const std::string name = "producer/web/3/arrivals";
  for (std::size_t cut = 0; cut <= name.size(); ++cut) {
    const std::string_view head = std::string_view(name).substr(0, cut);
    const std::string_view tail = std::string_view(name).substr(cut);
    expect_same_numbers(StreamFamily(5, head).derive(tail), RandomStream::derive(5, name));
    expect_same_numbers(StreamFamily(5).then(head).then(tail).derive(), RandomStream::derive(5, name));
  }
}

TEST(StreamFamily, DerivedStreamsAreTheOriginalOnes) {
  // The first numbers of RandomStream::derive as it was before families existed (FNV-1a of the name, xored
  // with mix64 of the seed, seeding xoshiro256** through splitmix64), worked out apart from this code: a
  // change here changes every run's results.
  RandomStream whole = RandomStream::derive(42, "consumer/fast/3/service");
  RandomStream member = StreamFamily(42, "consumer/fast/").numbered(3).derive("/service");
  for (const std::uint64_t expected : {0x308e4c24e6beef12ULL, 0x315a6ce07d203032ULL, 0xf30c114c3bc1a3e4ULL}) {
    EXPECT_EQ(whole.next_u64(), expected);
    EXPECT_EQ(member.next_u64(), expected);
  }
}

}  // namespace
}  // namespace qlab
