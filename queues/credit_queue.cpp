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
  if (acc.credit == kLarge) large_.erase(consumer);
  acc.credit = 0;
  ++acc.epoch;
  --waiting_;
  if (line_.size() - waiting_ > waiting_ + kStaleSlack) {
    line_.retain([this](const Waiter& w) { return accounts_[w.consumer].epoch == w.epoch && accounts_[w.consumer].credit > 0; });
  }
}

std::uint64_t CreditQueue::credit(ConsumerId consumer) const {
  if (consumer >= accounts_.size()) return 0;
  return accounts_[consumer].credit == kLarge ? large_.at(consumer) : accounts_[consumer].credit;
}

void CreditQueue::grant_large(ConsumerId consumer, Account& acc, std::uint32_t count) {
  std::uint64_t& large = large_[consumer];
  large = (acc.credit == kLarge ? large : acc.credit) + std::uint64_t{count};
  acc.credit = kLarge;
}

void CreditQueue::spend_large(ConsumerId consumer, Account& acc) {
  const auto large = large_.find(consumer);
  QLAB_CHECK(large != large_.end() && large->second >= kLarge, "a large credit without its entry");
  if (--large->second < kLarge) {
    acc.credit = static_cast<std::uint32_t>(large->second);
    large_.erase(large);
  }
}

}  // namespace qlab
