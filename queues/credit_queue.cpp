#include "credit_queue.hpp"

#include "consumer_slot.hpp"
#include "core/check.hpp"

namespace qlab {
namespace {
// Stale places in line are purged once they outnumber live ones by this margin, bounding memory when
// long-polls are cancelled over and over while no message arrives.
constexpr std::size_t kStaleSlack = 64;
}  // namespace

void CreditQueue::grant(ConsumerId consumer, std::uint32_t count) {
  if (count == 0) return;
  Account& acc = consumer_slot(accounts_, consumer);
  if (acc.credit == 0) {
    line_.push_back({consumer, acc.epoch});
    ++waiting_;
  }
  acc.credit += count;
}

void CreditQueue::withdraw(ConsumerId consumer) {
  Account& acc = consumer_slot(accounts_, consumer);
  if (acc.credit == 0) return;
  acc.credit = 0;
  ++acc.epoch;
  --waiting_;
  if (line_.size() - waiting_ > waiting_ + kStaleSlack) {
    line_.retain([this](const Waiter& w) { return accounts_[w.consumer].epoch == w.epoch && accounts_[w.consumer].credit > 0; });
  }
}

std::uint64_t CreditQueue::credit(ConsumerId consumer) const {
  return consumer < accounts_.size() ? accounts_[consumer].credit : 0;
}

ConsumerId CreditQueue::take() {
  QLAB_CHECK(waiting_ > 0, "take() with no consumer holding credit");
  for (;;) {
    const Waiter w = line_.pop_front();
    Account& acc = accounts_[w.consumer];
    if (acc.epoch != w.epoch || acc.credit == 0) continue;  // left behind by withdraw()
    if (--acc.credit > 0) {
      line_.push_back(w);
    } else {
      --waiting_;
    }
    return w.consumer;
  }
}

}  // namespace qlab
