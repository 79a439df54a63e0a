// The contract of queue_design.hpp, checked for every registered design with a hand-advanced clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "design_driver.hpp"

namespace qlab::queue_tests {
namespace {

constexpr ConsumerId kConsumers = 4;

// `actions` without publish confirmations (designs that confirm publishes emit them beside deliveries).
ActionBuffer without_confirms(ActionBuffer actions) {
  std::erase_if(actions, [](const Action& a) { return a.kind == ActionKind::confirm; });
  return actions;
}

// Fires the timer at each deadline until nothing is pending (replication in flight, say), for at most an
// hour; returns what it emitted.
ActionBuffer settle(DesignDriver& d) {
  ActionBuffer all;
  const Time limit = d.now() + 3600 * kSecond;
  while (d.design().next_deadline() <= limit) {
    for (const Action& a : d.advance_to(std::max(d.now(), d.design().next_deadline()))) all.push_back(a);
  }
  return all;
}

// One registered design with one choice of parameters.
struct Variant {
  std::string label;  // a valid test name
  std::string design;
  DesignParams params;
  bool limited = false;  // a bounded queue or a ttl: publishes may be refused, messages discarded
};

// The queue limits (limited_queue.hpp) and redelivery backoff, set so that they act within the tests' workloads:
// the random run's backlog passes 20 messages (2,000 bytes) and its clock passes 60 s.
const std::map<std::string, DesignParams>& limit_variants() {
  static const std::map<std::string, DesignParams> variants{
      {"max_length", {{"max_length", std::int64_t{20}}}},
      {"max_bytes", {{"max_bytes", std::int64_t{2000}}}},
      {"overflow", {{"max_length", std::int64_t{20}}, {"overflow", std::string("drop_head")}}},
      {"ttl", {{"ttl", std::int64_t{60 * kSecond}}}},
      {"discarded", {{"max_length", std::int64_t{20}}, {"ttl", std::int64_t{60 * kSecond}},
                     {"discarded", std::string("dead_letter")}}},
      {"redelivery_backoff", {{"redelivery_backoff", std::string("exponential")},
                              {"redelivery_delay", std::int64_t{kSecond}}, {"redelivery_delay_max", std::int64_t{5 * kSecond}}}},
  };
  return variants;
}

// A refused publish, or a message a bounded queue discarded (expired, pushed out).
bool limit_outcome(const Action& a) {
  return a.kind == ActionKind::refuse || a.kind == ActionKind::drop ||
         (a.kind == ActionKind::dead_letter && a.cause != DiscardCause::max_receives);
}
void PrintTo(const Variant& variant, std::ostream* os) { *os << variant.label; }

// Every design with its defaults, then once per non-default setting of each parameter: every other choice,
// the flipped flag, a small non-zero count, a short duration (so timers fire often).
std::vector<Variant> variants() {
  std::vector<Variant> out;
  for (const DesignInfo& info : designs()) {
    out.push_back({info.name, info.name, {}});
    for (const ParamSpec& p : info.params) {
      const std::string prefix = info.name + "_" + p.name + "_";
      if (const auto it = limit_variants().find(p.name); it != limit_variants().end()) {
        if (p.name == "overflow" && p.choices.size() < 2) continue;  // reject_publish only: max_length covers it
        DesignParams params = it->second;
        if (!info.expiry) params.erase("ttl");
        out.push_back({prefix + "limited", info.name, params, p.name != "redelivery_backoff"});
        if (p.name == "discarded" && info.head_access) {
          params["overflow"] = std::string("drop_head");
          out.push_back({prefix + "head_limited", info.name, params, true});
        }
        continue;
      }
      switch (p.type) {
        case ParamSpec::Type::choice:
          for (const std::string& choice : p.choices) {
            if (ParamValue(choice) != p.default_value) out.push_back({prefix + choice, info.name, {{p.name, choice}}});
          }
          break;
        case ParamSpec::Type::flag: {
          const bool flipped = !std::get<bool>(p.default_value);
          out.push_back({prefix + (flipped ? "true" : "false"), info.name, {{p.name, flipped}}});
          break;
        }
        case ParamSpec::Type::count:
          out.push_back({prefix + "2", info.name, {{p.name, std::max<std::int64_t>(p.min, 2)}}});
          break;
        case ParamSpec::Type::duration:
          out.push_back({prefix + "3s", info.name, {{p.name, std::max<std::int64_t>(p.min, 3 * kSecond)}}});
          break;
      }
    }
  }
  return out;
}

class DesignConformance : public ::testing::TestWithParam<Variant> {
 protected:
  DesignDriver driver() const { return DesignDriver::named(GetParam().design, GetParam().params); }
};

// Feeds a design a seeded random mix of every input and checks the contract after each step. The test keeps
// its own model of open credit, receipts and custody; the design must never contradict it.
class RandomRun {
 public:
  RandomRun(const Variant& variant, std::uint64_t seed)
      : driver_(DesignDriver::named(variant.design, variant.params)),
        info_(*find_design(variant.design)),
        limited_(variant.limited),
        rng_(seed) {}

  // The actions of the whole run, in order.
  const ActionBuffer& trace() const { return trace_; }
  std::size_t count(ActionKind kind) const {
    return std::count_if(trace_.begin(), trace_.end(), [&](const Action& a) { return a.kind == kind; });
  }
  std::size_t limit_outcomes() const { return std::count_if(trace_.begin(), trace_.end(), limit_outcome); }
  std::size_t redeliveries() const {
    return std::count_if(trace_.begin(), trace_.end(), [](const Action& a) { return a.receive_count > 1; });
  }

  void run(int steps) {
    for (ConsumerId c = 0; c < kConsumers; ++c) apply(driver_.join(c));
    for (int i = 0; i < steps; ++i) step();
    drain();
  }

 private:
  struct Held {
    ConsumerId consumer;
    Receipt receipt;
  };

  void step() {
    const ConsumerId c = static_cast<ConsumerId>(rng_.next_below(kConsumers));
    switch (rng_.next_below(10)) {
      case 0:
      case 1:
      case 2:
        apply(driver_.publish(next_id_++, rng_.next_below(5)));
        break;
      case 3:
        if (!lost_.count(c)) {
          const auto n = static_cast<std::uint32_t>(1 + rng_.next_below(3));
          credit_[c] += n;
          apply(driver_.pull(c, n));
        }
        break;
      case 4:
      case 5:
        // A consumer usually forgets a delivery it acked; sometimes it acks twice (a stale ack).
        if (const auto held = pick_outstanding(rng_.next_below(8) != 0)) apply(driver_.ack(held->consumer, held->receipt));
        break;
      case 6:
        if (const auto held = pick_outstanding(true)) apply(driver_.release(held->consumer, held->receipt));
        break;
      case 7:
        if (const auto held = pick_outstanding(false)) {
          apply(driver_.extend(held->consumer, held->receipt, static_cast<Time>(rng_.next_below(40)) * kSecond));
        }
        break;
      case 8:
        if (rng_.next_below(2) == 0) {
          credit_[c] = 0;
          apply(driver_.cancel(c));
        } else if (lost_.count(c)) {
          lost_.erase(c);
          apply(driver_.join(c));
        } else {
          credit_[c] = 0;
          lost_.insert(c);
          // A crashed consumer never acks what it held; a consumer that merely lost its connection might.
          if (rng_.next_below(2) == 0) std::erase_if(outstanding_, [c](const Held& h) { return h.consumer == c; });
          apply(driver_.lose(c));
        }
        break;
      default:
        apply(driver_.advance_by(static_cast<Time>(rng_.next_below(20)) * kSecond));
        EXPECT_GT(driver_.design().next_deadline(), driver_.now()) << "a due deadline survived on_timer";
        break;
    }
  }

  // Every consumer comes back, pulls and acks at once, until the design holds nothing.
  void drain() {
    for (ConsumerId c = 0; c < kConsumers; ++c) {
      if (lost_.erase(c)) apply(driver_.join(c));
    }
    for (int round = 0; round < 1000 && driver_.design().held() > 0; ++round) {
      for (ConsumerId c = 0; c < kConsumers; ++c) {
        credit_[c] += 1;
        apply(driver_.pull(c, 1));
      }
      while (!outstanding_.empty()) {
        const Held held = outstanding_.back();
        outstanding_.pop_back();
        apply(driver_.ack(held.consumer, held.receipt));
      }
      apply(driver_.advance_by(kSecond));
    }
    EXPECT_EQ(driver_.design().held(), 0u);
    apply(settle(driver_));
    for (MessageId id = 1; id < next_id_; ++id) {
      if (gone_.count(id)) continue;
      if (info_.confirms_publishes) {
        EXPECT_TRUE(confirmed_.count(id)) << "message " << id << " was never confirmed";
      }
      EXPECT_TRUE(delivered_.count(id) || dead_.count(id)) << "message " << id << " was never delivered";
      if (!info_.keeps_until_ack) {
        EXPECT_EQ(delivered_[id], 1) << "message " << id;
      }
    }
  }

  // A random delivery the test still holds, forgotten afterwards when `forget`.
  std::optional<Held> pick_outstanding(bool forget) {
    if (outstanding_.empty()) return std::nullopt;
    const std::size_t i = rng_.next_below(outstanding_.size());
    const Held held = outstanding_[i];
    if (forget) {
      outstanding_[i] = outstanding_.back();
      outstanding_.pop_back();
    }
    return held;
  }

  void apply(const ActionBuffer& actions) {
    for (const Action& action : actions) {
      trace_.push_back(action);
      const bool names_message = action.kind != ActionKind::ack_rejected && action.kind != ActionKind::ack_ignored;
      if (names_message) {
        EXPECT_GE(action.message.id, referable_from_) << "an action names a message older than oldest_referable() said";
      }
      if (limit_outcome(action)) {
        EXPECT_TRUE(limited_) << "a publish refused or a message discarded by limits the queue does not have";
        EXPECT_TRUE(gone_.insert(action.message.id).second) << "message " << action.message.id << " discarded twice";
        EXPECT_FALSE(delivered_.count(action.message.id) && !info_.keeps_until_ack)
            << "a message handed over was discarded too: " << action.message.id;
      } else if (action.kind == ActionKind::deliver) {
        ASSERT_GT(credit_[action.consumer], 0u) << "delivery beyond credit to consumer " << action.consumer;
        --credit_[action.consumer];
        EXPECT_NE(action.receipt, 0u);
        EXPECT_TRUE(receipts_.insert(action.receipt).second) << "receipt reused: " << action.receipt;
        EXPECT_GE(action.receive_count, 1u);
        ++delivered_[action.message.id];
        if (info_.keeps_until_ack) outstanding_.push_back({action.consumer, action.receipt});
      } else if (action.kind == ActionKind::dead_letter) {
        EXPECT_TRUE(dead_.insert(action.message.id).second);
      } else if (action.kind == ActionKind::confirm) {
        EXPECT_TRUE(info_.confirms_publishes) << "a design that does not confirm publishes confirmed one";
        EXPECT_LT(action.message.id, next_id_);
        EXPECT_TRUE(confirmed_.insert(action.message.id).second) << "message " << action.message.id << " confirmed twice";
      } else if (action.kind == ActionKind::refuse || action.kind == ActionKind::lose) {
        ADD_FAILURE() << "a publish refused or a message lost without any broker fault: " << action.message.id;
      }
    }
    check_custody();
  }

  void check_custody() {
    const QueueDesign& design = driver_.design();
    std::set<MessageId> held;
    design.for_each_held([&](const Message& m) {
      EXPECT_TRUE(held.insert(m.id).second) << "message " << m.id << " held twice";
      EXPECT_LT(m.id, next_id_);
      EXPECT_FALSE(dead_.count(m.id)) << "dead-lettered message " << m.id << " still held";
      EXPECT_FALSE(gone_.count(m.id)) << "discarded message " << m.id << " still held";
    });
    EXPECT_EQ(design.held(), held.size());
    EXPECT_LE(design.backlog(), design.held());
    if (!info_.keeps_until_ack) {
      EXPECT_EQ(design.backlog(), design.held());
    }
    EXPECT_GE(design.next_deadline(), driver_.now()) << "a deadline in the past";
    // What oldest_referable() promises: no action names an older message (messages published later have newer ids).
    const MessageId oldest = design.oldest_referable();
    if (!held.empty()) {
      EXPECT_LE(oldest, *held.begin());
    }
    referable_from_ = std::min(oldest, next_id_);
  }

  DesignDriver driver_;
  const DesignInfo& info_;
  bool limited_;
  RandomStream rng_;
  MessageId next_id_ = 1;
  MessageId referable_from_ = 0;  // from the last check_custody: no action may name a message below it
  std::map<ConsumerId, std::uint64_t> credit_;
  std::set<ConsumerId> lost_;
  std::vector<Held> outstanding_;
  std::set<Receipt> receipts_;
  std::map<MessageId, int> delivered_;
  std::set<MessageId> dead_;
  std::set<MessageId> gone_;  // refused or discarded by the queue's limits
  std::set<MessageId> confirmed_;
  ActionBuffer trace_;
};

TEST_P(DesignConformance, a_message_published_to_a_waiting_consumer_is_delivered) {
  DesignDriver d = driver();
  d.join(0);
  EXPECT_TRUE(d.pull(0, 1).empty());
  const ActionBuffer actions = without_confirms(d.publish(1));
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, ActionKind::deliver);
  EXPECT_EQ(actions[0].consumer, 0u);
  EXPECT_EQ(actions[0].message.id, 1u);
  EXPECT_EQ(actions[0].receive_count, 1u);
  EXPECT_EQ(d.design().backlog(), 0u);
}

TEST_P(DesignConformance, a_message_published_before_the_pull_waits_for_it) {
  DesignDriver d = driver();
  d.join(0);
  EXPECT_TRUE(without_confirms(d.publish(1)).empty());
  EXPECT_EQ(d.design().backlog(), 1u);
  EXPECT_EQ(d.design().held(), 1u);
  const ActionBuffer actions = d.pull(0, 5);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].message.id, 1u);
}

// Pulls `count` for consumer 0 and acks each delivery at once, as a prompt consumer would; returns how many
// messages it received. Acks matter to designs that hold back a key's next message until the previous one
// is acked (fifo_groups): they still fill the credit, one message per key at a time.
std::size_t pull_and_ack(DesignDriver& d, std::uint32_t count) {
  std::size_t received = 0;
  ActionBuffer actions = without_confirms(d.pull(0, count));
  while (!actions.empty()) {
    ActionBuffer next;
    for (const Action& a : actions) {
      EXPECT_EQ(a.kind, ActionKind::deliver);
      ++received;
      for (const Action& b : without_confirms(d.ack(0, a.receipt))) next.push_back(b);
    }
    actions = std::move(next);
  }
  return received;
}

TEST_P(DesignConformance, no_delivery_exceeds_granted_credit) {
  DesignDriver d = driver();
  d.join(0);
  for (MessageId id = 1; id <= 10; ++id) d.publish(id, id);
  EXPECT_EQ(pull_and_ack(d, 3), 3u);
  EXPECT_EQ(without_confirms(d.advance_by(kSecond)).size(), 0u);
  EXPECT_EQ(d.design().backlog(), 7u);
  EXPECT_EQ(pull_and_ack(d, 2), 2u);
}

TEST_P(DesignConformance, a_lost_consumer_receives_nothing_more) {
  DesignDriver d = driver();
  d.join(0);
  d.join(1);
  d.pull(0, 10);
  d.pull(1, 10);
  d.lose(0);
  for (MessageId id = 1; id <= 10; ++id) {
    for (const Action& a : without_confirms(d.publish(id))) EXPECT_NE(a.consumer, 0u);
  }
}

TEST_P(DesignConformance, a_cancelled_pull_receives_nothing_more) {
  DesignDriver d = driver();
  d.join(0);
  d.pull(0, 10);
  d.cancel(0);
  EXPECT_TRUE(without_confirms(d.publish(1)).empty());
  EXPECT_EQ(d.design().backlog(), 1u);
}

TEST_P(DesignConformance, every_message_is_delivered_exactly_once_to_consumers_that_ack_promptly) {
  DesignDriver d = driver();
  for (ConsumerId c = 0; c < kConsumers; ++c) {
    d.join(c);
    d.pull(c, 1);
  }
  std::map<MessageId, int> deliveries;
  std::set<MessageId> gone;  // refused or discarded by a bounded queue
  for (MessageId id = 1; id <= 200; ++id) {
    d.advance_by(kMillisecond);
    for (const Action& a : without_confirms(d.publish(id, id % 7))) {
      if (limit_outcome(a)) {
        gone.insert(a.message.id);
        continue;
      }
      ASSERT_EQ(a.kind, ActionKind::deliver);
      ++deliveries[a.message.id];
      EXPECT_TRUE(d.ack(a.consumer, a.receipt).empty());
      d.pull(a.consumer, 1);
    }
  }
  // Some consumers may hold queued messages of their own (preassigned), or the design may hold messages back
  // for a while (a rebalance pause); fetch them too, letting time pass.
  // An ack may release another delivery (fifo_groups): those are taken too.
  std::function<void(const ActionBuffer&)> take = [&](const ActionBuffer& actions) {
    for (const Action& a : without_confirms(actions)) {
      if (limit_outcome(a)) gone.insert(a.message.id);
      if (a.kind != ActionKind::deliver) continue;
      ++deliveries[a.message.id];
      take(d.ack(a.consumer, a.receipt));
    }
  };
  for (int round = 0; round < 200 && d.design().held() > 0; ++round) {
    for (ConsumerId c = 0; c < kConsumers; ++c) take(d.pull(c, 1));
    take(d.advance_by(kSecond));
  }
  EXPECT_EQ(d.design().held(), 0u);
  if (!GetParam().limited) {
    EXPECT_TRUE(gone.empty());
  }
  for (MessageId id : gone) EXPECT_FALSE(deliveries.count(id)) << "message " << id << " delivered and discarded";
  ASSERT_EQ(deliveries.size() + gone.size(), 200u);
  for (const auto& [id, n] : deliveries) EXPECT_EQ(n, 1) << "message " << id;
  settle(d);
  EXPECT_EQ(d.design().next_deadline(), kNever);
}

TEST_P(DesignConformance, an_idle_design_has_no_deadline) {
  DesignDriver d = driver();
  EXPECT_EQ(d.design().next_deadline(), kNever);
  EXPECT_EQ(d.design().held(), 0u);
  EXPECT_EQ(d.design().backlog(), 0u);
}

TEST_P(DesignConformance, a_random_workload_keeps_every_invariant) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomRun run(GetParam(), seed);
    run.run(400);
    // The workload must reach the interesting paths, or it proves little.
    EXPECT_GT(run.count(ActionKind::deliver) + run.limit_outcomes(), 50u);
    if (GetParam().limited) {
      EXPECT_GT(run.limit_outcomes(), 0u) << "the limits never acted";
    }
    if (find_design(GetParam().design)->keeps_until_ack) {
      EXPECT_GT(run.redeliveries() + run.limit_outcomes(), 0u);  // a message may expire before its redelivery
      EXPECT_GT(run.count(ActionKind::ack_rejected) + run.count(ActionKind::ack_ignored), 0u);
    }
    if (::testing::Test::HasFailure()) return;
  }
}

TEST_P(DesignConformance, the_same_inputs_give_the_same_actions) {
  RandomRun first(GetParam(), 99);
  first.run(300);
  RandomRun second(GetParam(), 99);
  second.run(300);
  const ActionBuffer& a = first.trace();
  const ActionBuffer& b = second.trace();
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("action " + std::to_string(i));
    EXPECT_EQ(a[i].kind, b[i].kind);
    EXPECT_EQ(a[i].consumer, b[i].consumer);
    EXPECT_EQ(a[i].receipt, b[i].receipt);
    EXPECT_EQ(a[i].receive_count, b[i].receive_count);
    EXPECT_EQ(a[i].message.id, b[i].message.id);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryDesign, DesignConformance, ::testing::ValuesIn(variants()),
                         [](const ::testing::TestParamInfo<Variant>& p) { return p.param.label; });

}  // namespace
}  // namespace qlab::queue_tests
