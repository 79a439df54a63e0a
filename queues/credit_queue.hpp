#pragma once
// The open pull requests of a design's consumers: how many more messages each may receive, and who is
// served next. Service is fair: the consumer that has waited longest gets the next message, and a consumer
// that still has credit after a delivery queues again behind the others (so k credits take up to k
// messages, interleaved with other consumers). All operations are O(1) amortised and allocation-free in
// steady state.
//
// An account is 8 bytes (with many consumers, the accounts a pull and a delivery touch are rarely in cache:
// the smaller, the fewer misses). A credit of 2^32 - 1 or more, which no real client asks for, is kept
// whole in a map aside.
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "consumer_slot.hpp"
#include "core/check.hpp"
#include "queue_design.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class CreditQueue {
 public:
  // Adds `count` to `consumer`'s credit; a consumer that had none joins the back of the line.
  // Inline, as take(): the pull designs call both once per message.
  void grant(ConsumerId consumer, std::uint32_t count) {
    if (count == 0) return;
    Account& acc = consumer_slot(accounts_, consumer);
    if (acc.credit == 0) {
      line_.push_back({consumer, acc.epoch});
      ++waiting_;
    }
    if (count < kLarge - acc.credit) {
      acc.credit += count;
    } else {
      grant_large(consumer, acc, count);
    }
  }
  // Drops all of `consumer`'s credit (pull cancelled, consumer lost).
  void withdraw(ConsumerId consumer);
  // True when no consumer has credit.
  bool empty() const { return waiting_ == 0; }
  std::uint64_t credit(ConsumerId consumer) const;
  // The consumer the take() after the next `later` ones would most likely return (its place may be stale, or
  // its credit not yet spent), or kNoConsumer; starts loading its account.
  ConsumerId next_hint(std::size_t later) const {
    if (later >= line_.size()) return kNoConsumer;
    const ConsumerId consumer = line_[later].consumer;
    prefetch(consumer);
    return consumer;
  }
  // Starts loading `consumer`'s account (a grant or take will read it soon).
  void prefetch(ConsumerId consumer) const {
    if (consumer < accounts_.size()) __builtin_prefetch(&accounts_[consumer]);
  }
  // Spends one credit of the longest-waiting consumer and returns it. Precondition: !empty().
  ConsumerId take() {
    QLAB_CHECK(waiting_ > 0, "take() with no consumer holding credit");
    for (;;) {
      const Waiter w = line_.pop_front();
      Account& acc = accounts_[w.consumer];
      if (acc.epoch != w.epoch || acc.credit == 0) continue;  // left behind by withdraw()
      if (acc.credit == kLarge) {
        spend_large(w.consumer, acc);
      } else {
        --acc.credit;
      }
      if (acc.credit > 0) {
        line_.push_back(w);
      } else {
        --waiting_;
      }
      return w.consumer;
    }
  }

 private:
  // A place in line; stale (left behind by withdraw) when `epoch` no longer matches the account's.
  struct Waiter {
    ConsumerId consumer = 0;
    std::uint32_t epoch = 0;
  };
  struct Account {
    std::uint32_t credit = 0;  // kLarge: the credit is in large_
    std::uint32_t epoch = 0;
  };
  static constexpr std::uint32_t kLarge = UINT32_MAX;
  // Adds `count` to a credit that reaches kLarge or more with it.
  [[gnu::cold]] void grant_large(ConsumerId consumer, Account& acc, std::uint32_t count);
  // Spends one of a credit kept in large_ (back in the account once it is below kLarge).
  [[gnu::cold]] void spend_large(ConsumerId consumer, Account& acc);

  // Invariant: a consumer with credit has exactly one Waiter carrying its current epoch in line_.
  std::vector<Account> accounts_;
  std::unordered_map<ConsumerId, std::uint64_t> large_;  // credits of kLarge or more, by consumer
  RingBuffer<Waiter> line_;
  std::size_t waiting_ = 0;  // consumers with credit
};

}  // namespace qlab
