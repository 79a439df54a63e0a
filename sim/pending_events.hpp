#pragma once
// The engine's pending events: an EventList of compact 32-byte events (48-byte heap entries with the time
// and sequence number) instead of whole 72-byte events. Most pending events are service completions and
// timers that carry no message; the few that do (publishes, deliveries) keep their message and receipt
// in a slot pool, so the heap sifts small entries. Same (time, sequence) order as an EventList<Event>.
#include <cstdint>
#include <vector>

#include "event_list.hpp"
#include "event.hpp"

namespace qlab::sim {

class PendingEvents {
 public:
  // What pop() hands back: the event's time and compact form (see take()).
  struct Due;
  // The compact form: a message-carrying event's `word` is its slot, any other's its receipt.
  struct Compact {
    EventType type;
    std::uint32_t entity;
    std::uint32_t token;
    std::uint32_t count;
    std::uint32_t incarnation;
    std::uint64_t word;
  };

  void schedule(Time time, const Event& event) {
    Compact compact{event.type, event.entity, event.token, event.count, event.incarnation, event.receipt};
    if (carries_message(event.type)) compact.word = store(event.message, event.receipt);
    list_.schedule(time, compact);
  }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  Time next_time() { return list_.next_time(); }
  // The earliest pending event's compact form (type and entity are as scheduled). Precondition: !empty().
  const Compact& next_compact() { return list_.next_payload(); }
  // The compact form of an event most likely `k` events after the next (EventList::ahead), or null.
  const Compact* ahead(std::size_t k) const { return list_.ahead(k); }
  // Removes and returns the earliest event. Precondition: !empty(). The caller runs the common events
  // (which carry no message) from the compact form, and expands any other with take(), once.
  Due pop();
  // The whole event that `compact`, just popped, stands for; a message-carrying event's slot is freed.
  Event take(const Compact& compact) {
    const Event event = expand(compact);
    if (carries_message(compact.type)) free_.push_back(static_cast<std::uint32_t>(compact.word));
    return event;
  }
  // Visits every pending event (whole), in no particular order.
  template <class Visit>
  void for_each(Visit visit) const {
    list_.for_each([&](const Compact& compact) { visit(expand(compact)); });
  }

 private:
  struct Slot {
    Message message;
    Receipt receipt;
  };
  std::uint64_t store(const Message& message, Receipt receipt) {
    if (free_.empty()) {
      slots_.push_back(Slot{message, receipt});
      return slots_.size() - 1;
    }
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    slots_[slot] = Slot{message, receipt};
    return slot;
  }
  Event expand(const Compact& compact) const {
    Event event{compact.type, compact.entity, compact.token, compact.count, compact.word, {}, compact.incarnation};
    if (carries_message(compact.type)) {
      const Slot& slot = slots_[compact.word];
      event.receipt = slot.receipt;
      event.message = slot.message;
    }
    return event;
  }

  EventList<Compact> list_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;  // slots whose event has run
};

struct PendingEvents::Due {
  Time time;
  Compact compact;
};

inline PendingEvents::Due PendingEvents::pop() {
  const auto entry = list_.pop();
  return Due{entry.time, entry.payload};
}

}  // namespace qlab::sim
