#pragma once
// The common base of designs whose delivery hands the message over (at-most-once): nothing waits for an
// ack, so acks, releases and extensions are accepted and do nothing (they emit no action), there are no
// timers, and every message held is a message waiting to be delivered.
#include "queue_design.hpp"

namespace qlab {

class AtMostOnceDesign : public QueueDesign {
 public:
  void on_ack(Time, ConsumerId, Receipt, ActionBuffer&) override {}
  void on_release(Time, ConsumerId, Receipt, ActionBuffer&) override {}
  void on_extend(Time, ConsumerId, Receipt, Time, ActionBuffer&) override {}
  void on_timer(Time, ActionBuffer&) override {}
  Time next_deadline() const override { return kNever; }
  std::size_t held() const override { return backlog(); }
};

}  // namespace qlab
