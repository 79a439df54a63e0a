#include "queues/replicated_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

constexpr Time kLatency = kMillisecond;  // the default replication_latency
constexpr Time kDetection = kSecond;     // the default failure_detection

DesignDriver replicated(DesignParams params = {}) { return DesignDriver::named("replicated", std::move(params)); }

ReplicatedQueue& queue(DesignDriver& d) { return dynamic_cast<ReplicatedQueue&>(d.design()); }

ActionBuffer crash(DesignDriver& d, std::uint32_t node) {
  ActionBuffer out;
  d.design().on_node_crashed(d.now(), node, out);
  return out;
}

ActionBuffer restart(DesignDriver& d, std::uint32_t node) {
  ActionBuffer out;
  d.design().on_node_restarted(d.now(), node, out);
  return out;
}

std::set<MessageId> id_set(const ActionBuffer& actions) {
  const std::vector<MessageId> ids = ids_of(actions);
  return {ids.begin(), ids.end()};
}

std::set<MessageId> held_ids(DesignDriver& d) {
  std::set<MessageId> ids;
  d.design().for_each_held([&](const Message& m) { ids.insert(m.id); });
  return ids;
}

// Consumer 0 has received message 1 (receipt in `delivery`), and the followers have applied it.
Received receive_replicated(DesignParams params = {}) {
  DesignDriver d = replicated(std::move(params));
  d.join(0);
  d.pull(0, 1);
  const Action delivery = only(d.publish(1), ActionKind::deliver).at(0);
  d.advance_by(kSecond);
  return {std::move(d), delivery};
}

// Appends `more` to `all`.
void collect(ActionBuffer& all, const ActionBuffer& more) { all.insert(all.end(), more.begin(), more.end()); }

TEST(ReplicatedQueue, is_registered_as_an_at_least_once_design_that_confirms_publishes) {
  const DesignInfo* info = find_design("replicated");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->keeps_until_ack);
  EXPECT_TRUE(info->confirms_publishes);
  const DesignParams params = with_defaults(*info, {});
  EXPECT_EQ(std::get<std::int64_t>(params.at("replicas")), 3);
  EXPECT_EQ(std::get<std::string>(params.at("acks")), "all");
  EXPECT_EQ(std::get<std::int64_t>(params.at("min_insync")), 1);
  EXPECT_EQ(std::get<std::int64_t>(params.at("replica_lag_max")), 10 * kSecond);
  EXPECT_EQ(std::get<std::int64_t>(params.at("failure_detection")), kSecond);
  EXPECT_EQ(std::get<bool>(params.at("unclean_election")), false);
  EXPECT_EQ(std::get<std::int64_t>(params.at("replication_latency")), kMillisecond);
  EXPECT_EQ(std::get<std::int64_t>(params.at("visibility_timeout")), 30 * kSecond);
  EXPECT_EQ(params.size(), 18u);  // 11, 3 of redelivery backoff, 4 queue limits (no max_bytes: no head access)
  for (const DesignInfo& other : designs()) {
    EXPECT_EQ(other.confirms_publishes, other.name == "replicated") << other.name;
  }
  DesignDriver d = replicated();
  EXPECT_EQ(d.design().node_count(), 3u);
  EXPECT_EQ(d.design().leader(), 0u);
  EXPECT_TRUE(d.design().available());
}

TEST(ReplicatedQueue, publish_with_acks_all_is_confirmed_one_replication_round_trip_later) {
  DesignDriver d = replicated();
  EXPECT_TRUE(d.publish(1).empty());
  EXPECT_EQ(d.design().next_deadline(), kLatency);
  EXPECT_TRUE(d.advance_to(kLatency).empty());  // the followers apply it
  EXPECT_EQ(queue(d).applied(1), 1u);
  EXPECT_TRUE(d.advance_to(2 * kLatency - 1).empty());
  const Action confirm = single(d.advance_to(2 * kLatency));
  EXPECT_EQ(confirm.kind, ActionKind::confirm);
  EXPECT_EQ(confirm.message.id, 1u);
  EXPECT_EQ(d.design().next_deadline(), kNever);
}

TEST(ReplicatedQueue, acks_leader_is_confirmed_at_once) {
  DesignDriver d = replicated({{"acks", std::string("leader")}});
  const Action confirm = single(d.publish(1));
  EXPECT_EQ(confirm.kind, ActionKind::confirm);
  EXPECT_EQ(confirm.message.id, 1u);
  EXPECT_TRUE(d.advance_to(kSecond).empty());
  EXPECT_EQ(queue(d).applied(2), 1u);
}

TEST(ReplicatedQueue, acks_all_confirms_at_once_when_the_leader_is_the_only_in_sync_replica) {
  DesignDriver d = replicated();
  crash(d, 1);
  crash(d, 2);
  EXPECT_EQ(queue(d).in_sync_count(), 1u);
  EXPECT_EQ(single(d.publish(1)).kind, ActionKind::confirm);
}

TEST(ReplicatedQueue, a_pending_confirm_is_given_when_the_isr_shrinks_to_the_leader) {
  DesignDriver d = replicated();
  d.publish(1);
  EXPECT_TRUE(crash(d, 1).empty());
  const Action confirm = single(crash(d, 2));
  EXPECT_EQ(confirm.kind, ActionKind::confirm);
  EXPECT_EQ(confirm.message.id, 1u);
}

TEST(ReplicatedQueue, acks_are_replicated_as_deletes) {
  auto [d, delivery] = receive_replicated();
  EXPECT_EQ(queue(d).applied(1), 1u);
  EXPECT_TRUE(d.ack(0, delivery.receipt).empty());
  EXPECT_EQ(d.design().held(), 0u);
  d.advance_by(kLatency);
  EXPECT_EQ(queue(d).applied(1), 0u);
  EXPECT_EQ(queue(d).applied(2), 0u);
}

TEST(ReplicatedQueue, leader_crash_with_acks_leader_loses_exactly_the_publishes_not_yet_applied_on_the_new_leader) {
  DesignDriver d = replicated({{"acks", std::string("leader")}});
  ActionBuffer confirms;
  collect(confirms, d.publish(1));
  d.advance_to(kLatency);  // 1 is on the followers
  collect(confirms, d.publish(2));
  d.advance_to(kLatency + kLatency / 2);
  collect(confirms, d.publish(3));
  EXPECT_EQ(id_set(only(confirms, ActionKind::confirm)), (std::set<MessageId>{1, 2, 3}));

  EXPECT_TRUE(crash(d, 0).empty());  // the losses are decided at the election
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1, 2, 3}));  // their fate is still open
  const ActionBuffer election = d.advance_by(kDetection);
  const ActionBuffer lost = only(election, ActionKind::lose);
  EXPECT_EQ(ids_of(lost), (std::vector<MessageId>{2, 3}));
  for (const Action& a : lost) EXPECT_EQ(a.node, 0u);
  EXPECT_EQ(d.design().leader(), 1u);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1}));
}

TEST(ReplicatedQueue, with_acks_all_and_a_surviving_in_sync_follower_nothing_confirmed_is_lost) {
  DesignDriver d = replicated();
  std::set<MessageId> confirmed;
  ActionBuffer all;
  for (MessageId id = 1; id <= 50; ++id) {
    collect(all, d.publish(id));
    collect(all, d.advance_by(kLatency / 3));
  }
  collect(all, crash(d, 0));
  collect(all, d.advance_by(kDetection));
  const std::set<MessageId> confirmed_ids = id_set(only(all, ActionKind::confirm));
  const std::set<MessageId> lost = id_set(only(all, ActionKind::lose));
  EXPECT_GT(confirmed_ids.size(), 40u);
  EXPECT_FALSE(lost.empty());  // the last publishes were in flight
  for (MessageId id : lost) EXPECT_FALSE(confirmed_ids.count(id)) << "confirmed message " << id << " lost";
  const std::set<MessageId> held = held_ids(d);
  for (MessageId id : confirmed_ids) EXPECT_TRUE(held.count(id)) << "confirmed message " << id << " not held";
  EXPECT_EQ(held.size() + lost.size(), 50u);
}

TEST(ReplicatedQueue, failover_takes_failure_detection) {
  DesignDriver d = replicated();
  d.publish(1);
  d.advance_to(kSecond);
  crash(d, 0);
  EXPECT_FALSE(d.design().available());
  EXPECT_EQ(d.design().next_deadline(), kSecond + kDetection);
  const Action refused = single(d.publish(2));
  EXPECT_EQ(refused.kind, ActionKind::refuse);
  EXPECT_EQ(refused.message.id, 2u);
  EXPECT_TRUE(d.advance_to(kSecond + kDetection - 1).empty());
  EXPECT_FALSE(d.design().available());
  EXPECT_EQ(single(d.publish(3)).kind, ActionKind::refuse);
  EXPECT_TRUE(d.advance_to(kSecond + kDetection).empty());
  EXPECT_TRUE(d.design().available());
  EXPECT_EQ(d.design().leader(), 1u);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1}));
  EXPECT_TRUE(d.publish(4).empty());  // accepted, confirmed a round trip later
  EXPECT_EQ(single(d.advance_by(2 * kLatency)).message.id, 4u);
}

TEST(ReplicatedQueue, pulls_stay_open_while_unavailable_and_nothing_is_delivered) {
  DesignDriver d = replicated();
  d.join(0);
  d.publish(1);
  d.advance_to(kSecond);
  crash(d, 0);
  EXPECT_TRUE(d.pull(0, 1).empty());
  EXPECT_TRUE(d.advance_to(kSecond + kDetection - 1).empty());
  const Action delivery = single(d.advance_to(kSecond + kDetection));
  EXPECT_EQ(delivery.kind, ActionKind::deliver);
  EXPECT_EQ(delivery.message.id, 1u);
}

TEST(ReplicatedQueue, min_insync_refuses_publishes_when_followers_are_down) {
  DesignDriver d = replicated({{"min_insync", std::int64_t{2}}});
  crash(d, 1);
  EXPECT_TRUE(d.design().available());
  EXPECT_TRUE(only(d.publish(1), ActionKind::refuse).empty());
  crash(d, 2);
  EXPECT_FALSE(d.design().available());
  EXPECT_EQ(single(d.publish(2)).kind, ActionKind::refuse);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1}));
  // Consumers are still served.
  d.join(0);
  EXPECT_EQ(ids_of(d.pull(0, 1)), (std::vector<MessageId>{1}));
  restart(d, 2);
  EXPECT_FALSE(d.design().available());
  d.advance_by(kLatency);
  EXPECT_TRUE(d.design().available());
}

TEST(ReplicatedQueue, a_restarted_follower_catches_up_and_rejoins) {
  DesignDriver d = replicated();
  crash(d, 1);
  EXPECT_FALSE(queue(d).in_sync(1));
  for (MessageId id = 1; id <= 5; ++id) d.publish(id);
  d.advance_to(kSecond);
  EXPECT_EQ(queue(d).applied(1), 0u);
  restart(d, 1);
  EXPECT_FALSE(queue(d).in_sync(1));
  EXPECT_EQ(queue(d).in_sync_count(), 2u);
  d.publish(6);
  d.advance_by(kLatency);
  EXPECT_TRUE(queue(d).in_sync(1));
  EXPECT_EQ(queue(d).in_sync_count(), 3u);
  EXPECT_EQ(queue(d).applied(1), 6u);
  // It now holds everything: it can lead with it.
  crash(d, 2);
  crash(d, 0);
  const ActionBuffer election = d.advance_by(kDetection);
  EXPECT_TRUE(only(election, ActionKind::lose).empty());
  EXPECT_EQ(d.design().leader(), 1u);
  EXPECT_EQ(d.design().held(), 6u);
}

TEST(ReplicatedQueue, a_follower_that_lags_more_than_replica_lag_max_leaves_the_in_sync_set) {
  // A network slower than replica_lag_max: every follower falls out while an operation is unapplied.
  DesignDriver d = replicated({{"replication_latency", 2 * kSecond}, {"replica_lag_max", std::int64_t{kSecond}}});
  d.publish(1);
  EXPECT_TRUE(d.advance_to(kSecond).empty());
  EXPECT_EQ(queue(d).in_sync_count(), 3u);
  const Action confirm = single(d.advance_to(kSecond + 1));  // the leader alone is the ISR now
  EXPECT_EQ(confirm.kind, ActionKind::confirm);
  EXPECT_EQ(queue(d).in_sync_count(), 1u);
  d.advance_to(2 * kSecond);  // applied, caught up: back in sync
  EXPECT_EQ(queue(d).in_sync_count(), 3u);
}

// Two replicas over a network slower than replica_lag_max: the follower has message 1 (and is out of the ISR
// while 2 is in flight) when the leader crashes.
DesignDriver lagging_follower(bool unclean) {
  DesignDriver d = replicated({{"replicas", std::int64_t{2}},
                               {"replication_latency", 2 * kSecond},
                               {"replica_lag_max", std::int64_t{kSecond}},
                               {"unclean_election", unclean}});
  d.publish(1);
  d.advance_to(2 * kSecond);
  d.publish(2);
  d.advance_to(3 * kSecond + 1);
  return d;
}

TEST(ReplicatedQueue, unclean_election_elects_a_lagging_replica_and_loses_what_it_lacks) {
  DesignDriver d = lagging_follower(true);
  EXPECT_FALSE(queue(d).in_sync(1));
  crash(d, 0);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1, 2}));
  const ActionBuffer lost = only(d.advance_by(kDetection), ActionKind::lose);
  EXPECT_EQ(ids_of(lost), (std::vector<MessageId>{2}));
  EXPECT_EQ(lost.at(0).node, 0u);
  EXPECT_TRUE(d.design().available());
  EXPECT_EQ(d.design().leader(), 1u);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1}));
}

TEST(ReplicatedQueue, without_unclean_election_the_design_stays_unavailable) {
  DesignDriver d = lagging_follower(false);
  crash(d, 0);
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1, 2}));
  const ActionBuffer lost = only(d.advance_by(kDetection), ActionKind::lose);
  // Only the crashed leader was in sync, and it comes back empty: everything is gone.
  EXPECT_EQ(ids_of(lost), (std::vector<MessageId>{1, 2}));
  EXPECT_FALSE(d.design().available());
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_EQ(d.design().next_deadline(), kNever);
  EXPECT_EQ(single(d.publish(3)).kind, ActionKind::refuse);
  d.advance_by(10 * kSecond);
  EXPECT_FALSE(d.design().available());
  // The last in-sync replica restarts and leads, empty; the follower is given its (empty) contents.
  EXPECT_TRUE(restart(d, 0).empty());
  EXPECT_TRUE(d.design().available());
  EXPECT_EQ(d.design().leader(), 0u);
  d.advance_by(2 * kSecond);
  EXPECT_EQ(queue(d).applied(1), 0u);
  EXPECT_EQ(queue(d).in_sync_count(), 2u);
}

TEST(ReplicatedQueue, with_every_node_down_the_first_to_restart_leads_empty) {
  DesignDriver d = replicated({{"unclean_election", true}});
  d.publish(1);
  d.advance_by(kSecond);
  crash(d, 1);
  crash(d, 2);
  crash(d, 0);
  EXPECT_EQ(ids_of(only(d.advance_by(kDetection), ActionKind::lose)), (std::vector<MessageId>{1}));
  EXPECT_FALSE(d.design().available());
  restart(d, 2);
  EXPECT_TRUE(d.design().available());
  EXPECT_EQ(d.design().leader(), 2u);
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(ReplicatedQueue, in_flight_messages_are_redelivered_by_the_new_leader) {
  DesignDriver d = replicated();
  d.join(0);
  d.pull(0, 2);
  const Action first = only(d.publish(1), ActionKind::deliver).at(0);
  EXPECT_EQ(first.receive_count, 1u);
  d.advance_by(kSecond);
  crash(d, 0);
  EXPECT_EQ(d.design().backlog(), 1u);  // nothing is in flight without a leader
  const Action again = only(d.advance_by(kDetection), ActionKind::deliver).at(0);
  EXPECT_EQ(again.consumer, 0u);
  EXPECT_EQ(again.message.id, 1u);
  EXPECT_EQ(again.receive_count, 1u);  // receive counts are leader state: they start again
  EXPECT_NE(again.receipt, first.receipt);
}

TEST(ReplicatedQueue, a_delete_not_yet_replicated_brings_its_message_back) {
  auto [d, delivery] = receive_replicated();
  d.ack(0, delivery.receipt);
  crash(d, 0);  // before the delete reaches a follower
  const ActionBuffer election = d.advance_by(kDetection);
  EXPECT_TRUE(only(election, ActionKind::lose).empty());
  EXPECT_EQ(held_ids(d), (std::set<MessageId>{1}));
}

TEST(ReplicatedQueue, old_receipts_are_stale_after_failover) {
  auto [d, delivery] = receive_replicated();
  crash(d, 0);
  const Action during = single(d.ack(0, delivery.receipt));
  EXPECT_EQ(during.kind, ActionKind::ack_rejected);
  d.advance_by(kDetection);
  const Action after = single(d.ack(0, delivery.receipt));
  EXPECT_EQ(after.kind, ActionKind::ack_rejected);
  EXPECT_EQ(after.receipt, delivery.receipt);
  EXPECT_EQ(single(d.release(0, delivery.receipt)).kind, ActionKind::ack_rejected);
  EXPECT_EQ(d.design().held(), 1u);
  // The new leader's receipt works.
  const Action again = single(d.pull(0, 1));
  EXPECT_TRUE(d.ack(0, again.receipt).empty());
  EXPECT_EQ(d.design().held(), 0u);
}

TEST(ReplicatedQueue, stale_ack_ignore_applies_to_receipts_of_old_leaders) {
  auto [d, delivery] = receive_replicated({{"stale_ack", std::string("ignore")}});
  crash(d, 0);
  d.advance_by(kDetection);
  EXPECT_EQ(single(d.ack(0, delivery.receipt)).kind, ActionKind::ack_ignored);
}

TEST(ReplicatedQueue, a_crashed_follower_never_changes_what_consumers_see) {
  DesignDriver d = replicated();
  d.join(0);
  d.publish(1);
  EXPECT_TRUE(crash(d, 2).empty());
  EXPECT_TRUE(d.design().available());
  EXPECT_EQ(ids_of(d.pull(0, 1)), (std::vector<MessageId>{1}));
}

// Random publishes, pulls, acks, consumer losses and broker crashes and restarts: every accepted message ends
// up processed, dead-lettered or lost (never delivered after it was lost), custody stays consistent, and no
// delivery exceeds the open credit.
TEST(ReplicatedQueue, random_broker_faults_keep_every_message_accounted_for) {
  const std::vector<DesignParams> variants = {
      {},
      {{"acks", std::string("leader")}},
      {{"unclean_election", true}, {"replicas", std::int64_t{2}}},
      {{"min_insync", std::int64_t{2}}, {"release_on_disconnect", true}, {"max_receives", std::int64_t{2}}},
      {{"replication_latency", 2 * kSecond}, {"replica_lag_max", std::int64_t{kSecond}}},
  };
  for (std::size_t v = 0; v < variants.size(); ++v) {
    for (std::uint64_t seed = 1; seed <= 20 && !::testing::Test::HasFailure(); ++seed) {
      SCOPED_TRACE("variant " + std::to_string(v) + " seed " + std::to_string(seed));
      DesignParams params = variants[v];
      params.try_emplace("visibility_timeout", 5 * kSecond);
      DesignDriver d = replicated(params);
      RandomStream rng(seed);
      constexpr ConsumerId kFaultTestConsumers = 3;
      std::vector<std::uint64_t> credit(kFaultTestConsumers, 0);
      std::vector<Action> outstanding;
      std::set<MessageId> accepted, processed, dead, lost;
      MessageId next_id = 1;
      auto apply = [&](const ActionBuffer& actions) {
        for (const Action& a : actions) {
          switch (a.kind) {
            case ActionKind::deliver:
              ASSERT_GT(credit.at(a.consumer), 0u);
              --credit[a.consumer];
              EXPECT_FALSE(lost.count(a.message.id)) << "lost message " << a.message.id << " delivered";
              outstanding.push_back(a);
              break;
            case ActionKind::dead_letter:
              dead.insert(a.message.id);
              break;
            case ActionKind::lose:
              EXPECT_TRUE(accepted.count(a.message.id));
              EXPECT_TRUE(lost.insert(a.message.id).second) << "lost twice: " << a.message.id;
              break;
            case ActionKind::refuse:
              accepted.erase(a.message.id);
              break;
            default:
              break;
          }
        }
        std::size_t visited = 0;
        d.design().for_each_held([&](const Message&) { ++visited; });
        EXPECT_EQ(d.design().held(), visited);
        EXPECT_LE(d.design().backlog(), d.design().held());
        EXPECT_GE(d.design().next_deadline(), d.now());
      };
      for (ConsumerId c = 0; c < kFaultTestConsumers; ++c) apply(d.join(c));
      for (int step = 0; step < 300; ++step) {
        const auto c = static_cast<ConsumerId>(rng.next_below(kFaultTestConsumers));
        switch (rng.next_below(12)) {
          case 0:
          case 1:
          case 2:
            accepted.insert(next_id);
            apply(d.publish(next_id++));
            break;
          case 3:
            credit[c] += 2;
            apply(d.pull(c, 2));
            break;
          case 4:
          case 5:
            if (!outstanding.empty()) {
              const std::size_t i = rng.next_below(outstanding.size());
              const Action held = outstanding[i];
              outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(i));
              const ActionBuffer reply = d.ack(held.consumer, held.receipt);
              if (reply.empty()) processed.insert(held.message.id);
              apply(reply);
            }
            break;
          case 6:
            credit[c] = 0;
            std::erase_if(outstanding, [c](const Action& a) { return a.consumer == c; });
            apply(d.lose(c));
            apply(d.join(c));
            break;
          case 7:
            apply(crash(d, static_cast<std::uint32_t>(rng.next_below(d.design().node_count()))));
            break;
          case 8:
            apply(restart(d, static_cast<std::uint32_t>(rng.next_below(d.design().node_count()))));
            break;
          default:
            apply(d.advance_by(static_cast<Time>(rng.next_below(3000)) * kMillisecond));
            break;
        }
      }
      // Every node comes back; consumers take and ack everything that is left.
      for (std::uint32_t n = 0; n < d.design().node_count(); ++n) apply(restart(d, n));
      for (int round = 0; round < 2000 && (d.design().held() > 0 || !d.design().available()); ++round) {
        for (ConsumerId c = 0; c < kFaultTestConsumers; ++c) {
          credit[c] += 1;
          apply(d.pull(c, 1));
        }
        while (!outstanding.empty()) {
          const Action held = outstanding.back();
          outstanding.pop_back();
          const ActionBuffer reply = d.ack(held.consumer, held.receipt);
          if (reply.empty()) processed.insert(held.message.id);
          apply(reply);
        }
        apply(d.advance_by(kSecond));
      }
      EXPECT_EQ(d.design().held(), 0u);
      for (MessageId id : accepted) {
        EXPECT_TRUE(processed.count(id) || dead.count(id) || lost.count(id)) << "message " << id << " vanished";
      }
    }
  }
}

// Drives the same random inputs into visibility_timeout and into replicated with one replica.
TEST(ReplicatedQueue, replicas_1_behaves_like_visibility_timeout_except_for_confirms) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const DesignParams params{{"visibility_timeout", 5 * kSecond}, {"max_receives", std::int64_t{3}}};
    DesignParams single_node = params;
    single_node["replicas"] = std::int64_t{1};
    DesignDriver plain = DesignDriver::named("visibility_timeout", params);
    DesignDriver one = replicated(single_node);
    std::vector<Action> held_plain;  // deliveries not yet acked, in the same order in both
    std::vector<Action> held_one;
    RandomStream rng(seed);
    MessageId next_id = 1;
    auto compare = [&](const ActionBuffer& a, ActionBuffer b) {
      const ActionBuffer confirms = only(b, ActionKind::confirm);
      std::erase_if(b, [](const Action& x) { return x.kind == ActionKind::confirm; });
      EXPECT_EQ(a.size(), b.size());
      if (a.size() != b.size()) return confirms;
      for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].kind, b[i].kind);
        EXPECT_EQ(a[i].consumer, b[i].consumer);
        // visibility_timeout names the message of a refused receipt while the message's slot lingers, even
        // after a delete; replicated names it while the message is held.
        const bool refusal_of_deleted = a[i].kind != ActionKind::deliver && b[i].message.id == 0;
        if (!refusal_of_deleted) {
          EXPECT_EQ(a[i].message.id, b[i].message.id);
          EXPECT_EQ(a[i].receive_count, b[i].receive_count);
        }
        if (a[i].kind == ActionKind::deliver) {
          held_plain.push_back(a[i]);
          held_one.push_back(b[i]);
        }
      }
      return confirms;
    };
    for (ConsumerId c = 0; c < 3; ++c) {
      plain.join(c);
      one.join(c);
    }
    for (int step = 0; step < 300 && !::testing::Test::HasFailure(); ++step) {
      const auto c = static_cast<ConsumerId>(rng.next_below(3));
      switch (rng.next_below(6)) {
        case 0:
        case 1: {
          const MessageId id = next_id++;
          const ActionBuffer confirms = compare(plain.publish(id), one.publish(id));
          EXPECT_EQ(ids_of(confirms), (std::vector<MessageId>{id})) << "confirmed at once";
          break;
        }
        case 2:
          compare(plain.pull(c, 2), one.pull(c, 2));
          break;
        case 3:
          if (!held_plain.empty()) {
            const std::size_t i = rng.next_below(held_plain.size());
            compare(plain.ack(held_plain[i].consumer, held_plain[i].receipt),
                    one.ack(held_one[i].consumer, held_one[i].receipt));
            if (rng.next_below(4) != 0) {  // sometimes acked again later: a stale ack
              held_plain.erase(held_plain.begin() + static_cast<std::ptrdiff_t>(i));
              held_one.erase(held_one.begin() + static_cast<std::ptrdiff_t>(i));
            }
          }
          break;
        case 4:
          compare(plain.lose(c), one.lose(c));
          plain.join(c);
          one.join(c);
          break;
        default: {
          const Time t = plain.now() + static_cast<Time>(rng.next_below(4)) * kSecond;
          compare(plain.advance_to(t), one.advance_to(t));
          break;
        }
      }
      EXPECT_EQ(plain.design().held(), one.design().held());
      EXPECT_EQ(plain.design().backlog(), one.design().backlog());
      EXPECT_EQ(plain.design().next_deadline(), one.design().next_deadline());
    }
  }
}

}  // namespace
}  // namespace qlab::queue_tests
