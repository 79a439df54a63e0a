#include "sim/fate_flags.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/random_stream.hpp"

namespace qlab::sim {
namespace {

constexpr std::uint8_t kSettled = 4;

// Checks every id against a plain vector kept alongside.
void expect_same(const FateFlags& fates, const std::vector<std::uint8_t>& reference) {
  ASSERT_EQ(fates.size(), reference.size());
  for (MessageId id = 0; id < reference.size(); ++id) ASSERT_EQ(fates.get(id), reference[id]) << "id " << id;
  std::vector<std::uint64_t> counts(256, 0);
  std::vector<std::uint64_t> expected(256, 0);
  fates.for_each_run([&](std::uint8_t flags, std::uint64_t count) { counts[flags] += count; });
  for (std::uint8_t flags : reference) ++expected[flags];
  EXPECT_EQ(counts, expected);
}

TEST(FateFlags, SettledIdsAreRetiredIntoRunsAndReadBackExactly) {
  FateFlags fates(kSettled);
  std::vector<std::uint8_t> reference;
  for (int i = 0; i < 10000; ++i) {
    const MessageId id = fates.append();
    reference.push_back(0);
    fates.set(id, kSettled | 1);
    reference[id] = kSettled | 1;
  }
  expect_same(fates, reference);
  EXPECT_LE(fates.window_size(), 1u);  // only the newest id can still be in the window
  EXPECT_EQ(fates.run_count(), 1u);    // all equal: one run
}

TEST(FateFlags, WritesToRetiredIdsSplitAndMergeRunsExactly) {
  FateFlags fates(kSettled);
  std::vector<std::uint8_t> reference;
  RandomStream rng(11);
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t what = rng.next_below(4);
    if (what == 0 || reference.empty()) {
      reference.push_back(0);
      EXPECT_EQ(fates.append(), reference.size() - 1);
    } else {
      // Mostly settle recent ids, sometimes rewrite an old one with a few distinct values.
      const MessageId id = what == 1 ? rng.next_below(reference.size())
                                     : reference.size() - 1 - rng.next_below(std::min<std::uint64_t>(reference.size(), 8));
      const auto flags = static_cast<std::uint8_t>(what == 1 ? rng.next_below(3) * kSettled : kSettled);
      fates.set(id, flags);
      reference[id] = flags;
    }
  }
  expect_same(fates, reference);
  // Rewriting every old id to one value merges everything back into a single run.
  for (MessageId id = 0; id < reference.size(); ++id) {
    fates.set(id, kSettled);
    reference[id] = kSettled;
  }
  expect_same(fates, reference);
  EXPECT_EQ(fates.run_count(), 1u);
}

TEST(FateFlags, OneStuckIdDoesNotHoldTheWindowOpen) {
  FateFlags fates(kSettled);
  std::vector<std::uint8_t> reference;
  reference.push_back(1);
  fates.set(fates.append(), 1);  // never settled
  const std::size_t n = 2 * FateFlags::kMaxWindow;
  for (std::size_t i = 0; i < n; ++i) {
    const MessageId id = fates.append();
    reference.push_back(0);
    if (id >= 2) {  // the others settle one step late, so the newest id is always unsettled too
      const auto flags = static_cast<std::uint8_t>(i % 3 == 0 ? kSettled | 1 : kSettled);
      fates.set(id - 1, flags);
      reference[id - 1] = flags;
    }
  }
  EXPECT_LE(fates.window_size(), FateFlags::kMaxWindow);
  fates.set(0, kSettled);  // the stuck id, retired long ago, settles late
  reference[0] = kSettled;
  expect_same(fates, reference);
}

TEST(FateFlags, ADeepBacklogOfUnsettledIdsStaysInTheWindow) {
  FateFlags fates(kSettled);
  const std::size_t n = FateFlags::kMaxWindow + 5000;
  for (std::size_t i = 0; i < n; ++i) fates.set(fates.append(), 1);
  EXPECT_EQ(fates.window_size(), n);  // one byte per unsettled id, no run
  EXPECT_EQ(fates.run_count(), 0u);
}

// Forgotten ids keep their counts (the audit's runs still cover every id once) and cost no run; ids at and
// after the mark stay readable and writable, and reading a forgotten one fails the check.
TEST(FateFlags, ForgottenIdsKeepTheirCountsAndCostNoRun) {
  FateFlags fates(kSettled);
  std::vector<std::uint8_t> reference;
  for (int i = 0; i < 20000; ++i) {  // alternating fates: a run each
    const MessageId id = fates.append();
    reference.push_back(static_cast<std::uint8_t>(kSettled | (i % 2)));
    fates.set(id, reference.back());
  }
  const std::size_t runs_before = fates.run_count();
  fates.forget_below(15001);  // inside a run: the part after the mark stays
  EXPECT_LT(fates.run_count(), runs_before / 3);
  fates.forget_below(100);  // below what is forgotten already: nothing changes
  for (MessageId id = 15001; id < reference.size(); ++id) ASSERT_EQ(fates.get(id), reference[id]);
  fates.set(15001, kSettled | 2);
  reference[15001] = kSettled | 2;
  std::vector<std::uint64_t> counts(256, 0);
  std::vector<std::uint64_t> expected(256, 0);
  fates.for_each_run([&](std::uint8_t flags, std::uint64_t count) { counts[flags] += count; });
  for (std::uint8_t flags : reference) ++expected[flags];
  EXPECT_EQ(counts, expected);
  EXPECT_DEATH(fates.get(15000), "forgotten");
}

}  // namespace
}  // namespace qlab::sim
