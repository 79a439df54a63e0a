#include "credit_queue.hpp"

namespace qlab {
namespace {
// Stale places in line are purged once they outnumber live ones by this margin, bounding memory when
// long-polls are cancelled over and over while no message arrives.
constexpr std::size_t kStaleSlack = 64;
}  // namespace

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

}  // namespace qlab
