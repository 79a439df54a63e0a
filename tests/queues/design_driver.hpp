#pragma once
// Drives one QueueDesign by hand in tests: a clock the test advances, and the actions of each call.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "queues/design_registry.hpp"
#include "queues/limited_queue.hpp"

namespace qlab::queue_tests {

class DesignDriver {
 public:
  explicit DesignDriver(std::unique_ptr<QueueDesign> design) : design_(std::move(design)) {}
  // The registered design `name` with `params` completed by its defaults.
  static DesignDriver named(const std::string& name, DesignParams params = {}, std::uint64_t seed = 7) {
    const DesignInfo* info = find_design(name);
    if (info == nullptr) throw std::invalid_argument("no design " + name);
    return DesignDriver(info->make(with_defaults(*info, std::move(params)), RandomStream(seed)));
  }

  QueueDesign& design() { return *design_; }
  Time now() const { return now_; }

  // Each call returns the actions the design emitted for it.
  ActionBuffer join(ConsumerId c) { return run([&](ActionBuffer& out) { design_->on_consumer_joined(now_, c, out); }); }
  ActionBuffer publish(MessageId id, std::uint64_t key = 0) {
    const Message message{id, now_, key, 100};
    return run([&](ActionBuffer& out) { design_->on_publish(now_, message, out); });
  }
  ActionBuffer pull(ConsumerId c, std::uint32_t count) {
    return run([&](ActionBuffer& out) { design_->on_pull(now_, c, count, out); });
  }
  ActionBuffer cancel(ConsumerId c) { return run([&](ActionBuffer& out) { design_->on_pull_cancelled(now_, c, out); }); }
  ActionBuffer ack(ConsumerId c, Receipt r) { return run([&](ActionBuffer& out) { design_->on_ack(now_, c, r, out); }); }
  ActionBuffer release(ConsumerId c, Receipt r) {
    return run([&](ActionBuffer& out) { design_->on_release(now_, c, r, out); });
  }
  ActionBuffer extend(ConsumerId c, Receipt r, Time timeout) {
    return run([&](ActionBuffer& out) { design_->on_extend(now_, c, r, timeout, out); });
  }
  ActionBuffer lose(ConsumerId c) { return run([&](ActionBuffer& out) { design_->on_consumer_lost(now_, c, out); }); }
  // Moves the clock to `t` and fires the timer if it is due, as a caller honouring next_deadline() would.
  ActionBuffer advance_to(Time t) {
    now_ = t;
    if (design_->next_deadline() > now_) return {};
    return run([&](ActionBuffer& out) { design_->on_timer(now_, out); });
  }
  ActionBuffer advance_by(Time dt) { return advance_to(now_ + dt); }

 private:
  template <typename Call>
  ActionBuffer run(Call&& call) {
    ActionBuffer out;
    call(out);
    return out;
  }

  std::unique_ptr<QueueDesign> design_;
  Time now_ = 0;
};

// The one action of `actions`; throws (failing the test) when there is not exactly one.
inline Action single(const ActionBuffer& actions) {
  if (actions.size() != 1) throw std::logic_error("expected exactly one action, got " + std::to_string(actions.size()));
  return actions.front();
}

// The message ids of `actions`, in order.
inline std::vector<MessageId> ids_of(const ActionBuffer& actions) {
  std::vector<MessageId> ids;
  for (const Action& a : actions) ids.push_back(a.message.id);
  return ids;
}

// The consumers of `actions`, in order.
inline std::vector<ConsumerId> consumers_of(const ActionBuffer& actions) {
  std::vector<ConsumerId> consumers;
  for (const Action& a : actions) consumers.push_back(a.consumer);
  return consumers;
}

// The actions of `actions` of one kind, in order.
inline ActionBuffer only(const ActionBuffer& actions, ActionKind kind) {
  ActionBuffer out;
  for (const Action& a : actions) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

// A driver whose consumer has received a message, and that delivery (its receipt acks it).
struct Received {
  DesignDriver d;
  Action delivery;
};

}  // namespace qlab::queue_tests
