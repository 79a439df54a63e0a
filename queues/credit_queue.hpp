#pragma once
// The open pull requests of a design's consumers: how many more messages each may receive, and who is
// served next. Service is fair: the consumer that has waited longest gets the next message, and a consumer
// that still has credit after a delivery queues again behind the others (so k credits take up to k
// messages, interleaved with other consumers). All operations are O(1) amortised and allocation-free in
// steady state.
#include <cstdint>
#include <vector>

#include "queue_design.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class CreditQueue {
 public:
  // Adds `count` to `consumer`'s credit; a consumer that had none joins the back of the line.
  void grant(ConsumerId consumer, std::uint32_t count);
  // Drops all of `consumer`'s credit (pull cancelled, consumer lost).
  void withdraw(ConsumerId consumer);
  // True when no consumer has credit.
  bool empty() const { return waiting_ == 0; }
  std::uint64_t credit(ConsumerId consumer) const;
  // Spends one credit of the longest-waiting consumer and returns it. Precondition: !empty().
  ConsumerId take();

 private:
  // A place in line; stale (left behind by withdraw) when `epoch` no longer matches the account's.
  struct Waiter {
    ConsumerId consumer = 0;
    std::uint32_t epoch = 0;
  };
  struct Account {
    std::uint64_t credit = 0;
    std::uint32_t epoch = 0;
  };
  // Invariant: a consumer with credit has exactly one Waiter carrying its current epoch in line_.
  std::vector<Account> accounts_;
  RingBuffer<Waiter> line_;
  std::size_t waiting_ = 0;  // consumers with credit
};

}  // namespace qlab
