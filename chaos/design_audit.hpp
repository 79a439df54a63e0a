#pragma once
// Promises a design makes that the simulated trace cannot show, because they depend on what the trace does
// not record (the message key that picks a group): the case's design is driven directly through the
// QueueDesign contract by a random workload shaped like the case (its consumers, prefetch and parameters),
// and every action is checked against the design's own rules:
//   - custody (every design that keeps messages until acked, only those are audited, except partitioned,
//     whose rebalances take partitions from live members): a message is never delivered while an earlier
//     delivery of it is still current: not acked or released, its consumer not lost, and not older than the
//     design's redelivery timeout (visibility_timeout, share_group's lock_duration, push's consumer_timeout;
//     never when 0) -- for share_group: no record in two consumers' hands under an unexpired lock;
//   - group_in_flight (fifo_groups): at most one message of a group is current at a time;
//   - group_order (fifo_groups): a group's deliveries follow publish order: each is of the oldest message of
//     its group that was not acked yet;
//   - partition_order (partitioned): a partition's records go out in offset order to one consumer at a time;
//     going back (a rewind) or on to another consumer happens only when every earlier record was acked;
//   - lock_limit (share_group): a partition never has more than max_record_locks records locked.
// Pure: the same scenario always gives the same violations.
#include <memory>
#include <vector>

#include "chaos/invariants.hpp"
#include "core/scenario.hpp"
#include "queues/queue_design.hpp"

namespace qlab::chaos {

std::vector<Violation> audit_design(const Scenario& scenario);
// The same audit of `design` (in place of the registered one), checked by the rules of the scenario's design.
std::vector<Violation> audit_design(const Scenario& scenario, std::unique_ptr<QueueDesign> design);

}  // namespace qlab::chaos
