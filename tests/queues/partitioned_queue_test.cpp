#include "queues/partitioned_queue.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

using PartitionedOptions = PartitionedQueue::Options;

DesignDriver partitioned(PartitionedOptions options) { return DesignDriver(std::make_unique<PartitionedQueue>(options)); }

const PartitionedQueue& queue_of(DesignDriver& d) { return static_cast<const PartitionedQueue&>(d.design()); }

std::vector<ConsumerId> partition_owners(DesignDriver& d, std::uint32_t partitions) {
  std::vector<ConsumerId> out;
  for (std::uint32_t p = 0; p < partitions; ++p) out.push_back(queue_of(d).owner(p));
  return out;
}

// A key of partition `partition` (keys are hashed).
std::uint64_t key_in(std::uint32_t partition, std::uint32_t partitions) {
  for (std::uint64_t key = 0;; ++key) {
    if (PartitionedQueue::partition_of(key, partitions) == partition) return key;
  }
}

TEST(PartitionedQueue, the_first_member_owns_every_partition_at_once_and_gets_each_in_order) {
  DesignDriver d = partitioned({.partitions = 3});
  d.join(0);
  EXPECT_EQ(partition_owners(d, 3), (std::vector<ConsumerId>{0, 0, 0}));
  for (MessageId id = 1; id <= 6; ++id) d.publish(id, key_in(0, 3));
  EXPECT_EQ(ids_of(d.pull(0, 10)), (std::vector<MessageId>{1, 2, 3, 4, 5, 6}));
}

TEST(PartitionedQueue, range_and_round_robin_assignments_and_members_beyond_the_partitions_sit_idle) {
  DesignDriver range = partitioned({.partitions = 4, .rebalance_time = 0});
  DesignDriver rr = partitioned({.partitions = 4, .assignment = PartitionedQueue::Assignment::round_robin, .rebalance_time = 0});
  for (ConsumerId c : {0u, 1u}) {
    range.join(c);
    rr.join(c);
  }
  EXPECT_EQ(partition_owners(range, 4), (std::vector<ConsumerId>{0, 0, 1, 1}));
  EXPECT_EQ(partition_owners(rr, 4), (std::vector<ConsumerId>{0, 1, 0, 1}));
  for (ConsumerId c : {2u, 3u, 4u, 5u}) range.join(c);
  EXPECT_EQ(partition_owners(range, 4), (std::vector<ConsumerId>{0, 1, 2, 3}));
  range.pull(4, 10);
  range.pull(5, 10);
  for (MessageId id = 1; id <= 40; ++id) EXPECT_TRUE(range.publish(id, id).empty());
}

TEST(PartitionedQueue, sticky_assignment_moves_only_what_balance_requires) {
  DesignDriver d = partitioned({.partitions = 4, .assignment = PartitionedQueue::Assignment::sticky, .rebalance_time = 0});
  d.join(0);
  d.join(1);
  const std::vector<ConsumerId> before = partition_owners(d, 4);
  d.join(2);
  const std::vector<ConsumerId> after = partition_owners(d, 4);
  int moved = 0;
  std::map<ConsumerId, int> load;
  for (int p = 0; p < 4; ++p) {
    moved += before[p] != after[p];
    ++load[after[p]];
  }
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(load[2], 1);
}

TEST(PartitionedQueue, eager_rebalance_pauses_every_partition_cooperative_only_the_moved_ones) {
  for (const auto mode : {PartitionedQueue::Rebalance::eager, PartitionedQueue::Rebalance::cooperative}) {
    DesignDriver d = partitioned({.partitions = 2, .rebalance = mode, .rebalance_time = 2 * kSecond});
    d.join(0);
    d.pull(0, 10);
    d.join(1);  // partition 1 moves to consumer 1
    d.pull(1, 10);
    const bool eager = mode == PartitionedQueue::Rebalance::eager;
    EXPECT_EQ(d.publish(1, key_in(0, 2)).size(), eager ? 0u : 1u) << "partition 0 stays with consumer 0";
    EXPECT_TRUE(d.publish(2, key_in(1, 2)).empty()) << "partition 1 is moving";
    EXPECT_EQ(d.design().next_deadline(), 2 * kSecond);
    EXPECT_EQ(d.advance_by(2 * kSecond).size(), eager ? 2u : 1u);
  }
}

TEST(PartitionedQueue, a_lost_member_keeps_its_partitions_until_the_session_times_out) {
  DesignDriver d = partitioned({.partitions = 2, .session_timeout = 10 * kSecond, .rebalance_time = kSecond});
  d.join(0);
  d.join(1);
  d.advance_by(kSecond);
  d.pull(0, 10);
  d.lose(1);
  EXPECT_TRUE(d.publish(1, key_in(1, 2)).empty());
  EXPECT_TRUE(d.advance_by(9 * kSecond).empty());
  d.advance_by(kSecond);  // the session ends: rebalance, paused for a second
  EXPECT_EQ(queue_of(d).owner(1), 0u);
  EXPECT_EQ(ids_of(d.advance_by(kSecond)), (std::vector<MessageId>{1}));
}

// Consumer 1 processes (acks) three records of partition 1 and is lost before they are committed.
DesignDriver crash_after_processing(PartitionedQueue::Commit commit, Time commit_interval = 10 * kSecond) {
  DesignDriver d = partitioned({.partitions = 2, .session_timeout = 5 * kSecond, .rebalance_time = 0, .commit = commit,
                                .commit_interval = commit_interval});
  d.join(0);
  d.join(1);
  for (MessageId id = 1; id <= 4; ++id) d.publish(id, key_in(1, 2));
  const ActionBuffer got = d.pull(1, 4);
  for (int i = 0; i < 3; ++i) d.ack(1, got[i].receipt);
  d.lose(1);
  d.pull(0, 10);
  return d;
}

TEST(PartitionedQueue, records_processed_but_not_committed_are_processed_again_after_a_move) {
  DesignDriver d = crash_after_processing(PartitionedQueue::Commit::interval);
  EXPECT_EQ(d.design().held(), 1u);
  const ActionBuffer again = d.advance_by(5 * kSecond);
  EXPECT_EQ(ids_of(again), (std::vector<MessageId>{1, 2, 3, 4}));
  for (const Action& a : again) EXPECT_EQ(a.receive_count, 2u);
}

TEST(PartitionedQueue, a_lost_member_commits_nothing_more) {
  DesignDriver d = crash_after_processing(PartitionedQueue::Commit::interval, 2 * kSecond);
  d.advance_by(4 * kSecond);
  d.join(1);  // back within its session, after the commit would have been made for a live member
  EXPECT_EQ(ids_of(d.pull(1, 10)), (std::vector<MessageId>{1, 2, 3, 4}));
}

TEST(PartitionedQueue, commit_after_processing_redelivers_only_the_unprocessed_record) {
  DesignDriver d = crash_after_processing(PartitionedQueue::Commit::after_processing);
  EXPECT_EQ(ids_of(d.advance_by(5 * kSecond)), (std::vector<MessageId>{4}));
}

TEST(PartitionedQueue, the_interval_commit_makes_processing_durable) {
  DesignDriver d = partitioned({.partitions = 1, .commit_interval = 3 * kSecond});
  d.join(0);
  d.publish(1);
  const Action a = single(d.pull(0, 1));
  d.ack(0, a.receipt);
  EXPECT_EQ(d.design().next_deadline(), 3 * kSecond);
  d.advance_by(3 * kSecond);
  EXPECT_EQ(d.design().next_deadline(), kNever);
  d.lose(0);
  d.join(0);  // a restart within the session resumes from the committed offset: nothing to redo
  EXPECT_TRUE(d.pull(0, 5).empty());
  EXPECT_EQ(single(d.ack(0, a.receipt)).kind, ActionKind::ack_rejected);
}

TEST(PartitionedQueue, a_release_rewinds_to_the_first_unprocessed_record) {
  DesignDriver d = partitioned({.partitions = 1});
  d.join(0);
  for (MessageId id = 1; id <= 3; ++id) d.publish(id);
  const ActionBuffer got = d.pull(0, 3);
  d.ack(0, got[0].receipt);
  d.release(0, got[2].receipt);
  EXPECT_EQ(single(d.ack(0, got[1].receipt)).kind, ActionKind::ack_rejected) << "rewound past";
  EXPECT_EQ(ids_of(d.pull(0, 5)), (std::vector<MessageId>{2, 3}));
}

TEST(PartitionedQueue, with_zipf_keys_the_hottest_partitions_load_is_its_key_share) {
  // 50 keys with Zipf(1) weights over 8 partitions: each partition's share of 20000 messages is the sum of the
  // weights of its keys, within four binomial standard deviations.
  constexpr int kKeys = 50;
  constexpr std::uint32_t kPartitions = 8;
  std::vector<double> weight(kKeys);
  double total = 0;
  for (int k = 0; k < kKeys; ++k) total += weight[k] = 1.0 / (k + 1);
  std::vector<double> share(kPartitions, 0);
  for (int k = 0; k < kKeys; ++k) share[PartitionedQueue::partition_of(k, kPartitions)] += weight[k] / total;
  DesignDriver d = partitioned({.partitions = kPartitions, .rebalance_time = 0});
  for (ConsumerId c = 0; c < kPartitions; ++c) d.join(c);
  RandomStream rng(9);
  constexpr int kMessages = 20000;
  for (MessageId id = 1; id <= kMessages; ++id) {
    double u = rng.next_open01() * total;
    int key = 0;
    while (key < kKeys - 1 && (u -= weight[key]) > 0) ++key;
    d.publish(id, static_cast<std::uint64_t>(key));
  }
  std::vector<double> got(kPartitions, 0);
  for (ConsumerId c = 0; c < kPartitions; ++c) got[c] = static_cast<double>(d.pull(c, kMessages).size()) / kMessages;
  std::uint32_t hottest = 0;
  for (std::uint32_t p = 1; p < kPartitions; ++p) hottest = share[p] > share[hottest] ? p : hottest;
  const ConsumerId owner = queue_of(d).owner(hottest);
  EXPECT_NEAR(got[owner], share[hottest], 4 * std::sqrt(share[hottest] * (1 - share[hottest]) / kMessages));
  EXPECT_GT(share[hottest], 1.5 / kPartitions) << "the hottest partition carries far more than an even share";
}

}  // namespace
}  // namespace qlab::queue_tests
