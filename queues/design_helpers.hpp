#pragma once
// Small pieces several designs share.
#include <algorithm>

#include "queue_design.hpp"

namespace qlab {

// now + timeout without overflow; a negative timeout means "at once".
inline Time deadline_after(Time now, Time timeout) {
  timeout = std::max<Time>(timeout, 0);
  return timeout > kNever - now ? kNever : now + timeout;
}

// Refuses an ack, release or extend whose receipt names no current delivery of `consumer` (an error to it).
inline void reject_receipt(ConsumerId consumer, Receipt receipt, ActionBuffer& out) {
  Action refused;
  refused.kind = ActionKind::ack_rejected;
  refused.consumer = consumer;
  refused.receipt = receipt;
  out.push_back(refused);
}

// The oldest message in any partition's log (`partitions`: a range of partitions with a `log` of records
// holding a `message`), kNoMessage for none: for a design that may hand out any record still in a log again.
template <class Partitions>
MessageId oldest_in_logs(const Partitions& partitions) {
  MessageId oldest = kNoMessage;
  for (const auto& partition : partitions) {
    for (const auto& record : partition.log) oldest = std::min(oldest, record.message.id);
  }
  return oldest;
}

}  // namespace qlab
