#pragma once
// Design "visibility_timeout": SQS semantics (at-least-once). A receive hides the message for the
// visibility timeout under a fresh receipt; an ack (delete) with the current receipt removes it; if the
// timeout expires first, the message becomes visible again at the back of the FIFO and its receive count
// grows on the next receive. A receipt stays current until its message is received again or deleted, so a
// late ack still deletes a message that expired but has not been redelivered yet (as in SQS).
// Release (nack) and extend (change visibility) act only on a message that is in flight under that receipt.
// With a redelivery delay, a released message stays hidden for that delay (constant, or doubling with each
// receive up to a cap) before it is visible again, as an SQS consumer that nacks by changing the visibility.
//
// Storage is a slab of entries with a free list; a message keeps its slot from publish to delete, and a
// receipt is (slot generation << 32) | (slot + 1), so acks are O(1) and stale receipts are told apart by
// generation. In-flight entries form an intrusive list ordered by deadline (new deadlines are usually the
// latest, so insertion walks back from the tail); the head is next_deadline().
#include <cstdint>
#include <vector>

#include "core/huge_page_allocator.hpp"
#include "credit_queue.hpp"
#include "queue_design.hpp"
#include "ring_buffer.hpp"

namespace qlab {

class VisibilityTimeoutQueue final : public QueueDesign {
 public:
  enum class StaleAck {
    reject,  // emit ack_rejected (an error to the client, as ElasticMQ does)
    ignore,  // emit ack_ignored (accepted and dropped, as SQS does)
  };
  struct Options {
    Time visibility_timeout = 30 * kSecond;  // > 0
    std::uint32_t max_receives = 0;           // 0 = unlimited; else dead-letter instead of receive number max+1
    StaleAck stale_ack = StaleAck::reject;
    bool release_on_disconnect = false;       // true: a lost consumer's in-flight messages are visible at once
    Time redelivery_delay = 0;                // a released message is hidden this long first (0: visible at once)
    bool redelivery_exponential = false;      // true: the delay doubles with each receive after the first
    Time redelivery_delay_max = 0;            // exponential: the cap (0: none)
    // The hiding time of a message released after its `receives`-th receive.
    Time redelivery_delay_after(std::uint32_t receives) const;
  };

  explicit VisibilityTimeoutQueue(Options options);

  void on_consumer_joined(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_publish(Time now, const Message& message, ActionBuffer& out) override;
  void on_pull(Time now, ConsumerId consumer, std::uint32_t count, ActionBuffer& out) override;
  void on_pull_cancelled(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_ack(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_release(Time now, ConsumerId consumer, Receipt receipt, ActionBuffer& out) override;
  void on_extend(Time now, ConsumerId consumer, Receipt receipt, Time timeout, ActionBuffer& out) override;
  void on_consumer_lost(Time now, ConsumerId consumer, ActionBuffer& out) override;
  void on_timer(Time now, ActionBuffer& out) override;
  Time next_deadline() const override;

  std::size_t backlog() const override { return backlog_; }
  std::size_t held() const override { return backlog_ + in_flight_; }
  void for_each_held(const std::function<void(const Message&)>& visit) const override;
  std::uint64_t backlog_bytes() const override { return backlog_bytes_; }
  bool drop_oldest(Message& dropped) override;
  ConsumerId next_receiver_hint(std::size_t later) const override { return credits_.next_hint(later); }
  void prefetch_reply(ConsumerId consumer, Receipt receipt) const override {
    credits_.prefetch(consumer);
    const auto low = static_cast<std::uint32_t>(receipt);  // the slot + 1, as find() reads it
    if (low == 0 || low > entries_.size()) return;
    __builtin_prefetch(&entries_[low - 1]);
    __builtin_prefetch(&links_[low - 1]);
  }

 private:
  using Slot = std::uint32_t;
  static constexpr Slot kNil = UINT32_MAX;

  enum class State : std::uint8_t {
    free,       // on the free list
    visible,    // waiting in visible_
    in_flight,  // received, hidden until `deadline`, linked in the in-flight list
    deleted,    // acked while visible: still in visible_, reclaimed when it reaches the front
  };
  // One cache line: with many messages in flight an ack's entry is rarely in cache, and a Message member
  // (40 bytes with its padding) would make it 72 bytes, two lines. So the message's fields are kept here.
  struct alignas(64) Entry {
    MessageId id = 0;
    Time published_at = 0;
    std::uint64_t key = 0;
    std::uint32_t size = 0;
    std::uint32_t origin = 0;
    Time deadline = 0;                  // in_flight only
    std::uint32_t generation = 0;       // of the latest receipt; bumped by every receive and by a delete
    std::uint32_t base_generation = 0;  // generation when this message took the slot: receipts are above it
    std::uint32_t receive_count = 0;
    ConsumerId consumer = 0;  // in_flight: who holds it
    bool poison = false;
    State state = State::free;

    void hold(const Message& m) {
      id = m.id;
      published_at = m.published_at;
      key = m.key;
      size = m.size;
      origin = m.origin;
      poison = m.poison;
    }
    Message message() const {
      return Message{.id = id, .published_at = published_at, .key = key, .size = size, .origin = origin, .poison = poison};
    }
  };
  static_assert(sizeof(Entry) == 64, "an entry is one cache line");
  static_assert(sizeof(Message) == 40, "Entry keeps each field of Message: hold() and message() copy them all");
  // An entry's place in the in-flight list, or (next) in the free list. Kept apart from the entries (8 bytes
  // a slot, not 64): an ack unlinks its message, which touches the links of two other messages.
  struct Link {
    Slot prev = kNil;
    Slot next = kNil;
  };
  // What a receipt names: the slot when it is this slot's latest receipt and the message is not deleted.
  struct Lookup {
    Slot slot = kNil;     // kNil when the receipt names no message the design still knows
    bool current = false;
  };

  Lookup find(Receipt receipt) const;
  // Emits ack_rejected or ack_ignored for a receipt that is not (or no longer) acceptable.
  void refuse(ConsumerId consumer, Receipt receipt, const Lookup& found, ActionBuffer& out) const;
  Slot allocate();
  // A new slot at the end (the free list is empty). Out of line: rare once the slab has grown.
  [[gnu::cold, gnu::noinline]] Slot add_slot();
  void free_slot(Slot slot);
  void make_visible(Slot slot);
  // A visible entry leaves the backlog (received, deleted or dropped).
  void leave_backlog(const Entry& entry) {
    --backlog_;
    backlog_bytes_ -= entry.size;
  }
  void link_by_deadline(Slot slot);
  void unlink(Slot slot);
  // Takes visible messages off the front up to the first that can be received, and returns it (kNil when
  // none is left): frees those deleted while visible, dead-letters those past max_receives.
  Slot next_receivable(ActionBuffer& out);
  // `consumer` receives the message in `slot` (taken off visible_) under a fresh receipt.
  void receive(Time now, Slot slot, ConsumerId consumer, ActionBuffer& out);
  // Receives visible messages into consumers with credit (dead-lettering those past max_receives).
  void dispatch(Time now, ActionBuffer& out);

  Options options_;
  // Huge pages: an entry per message held (5.8 MB for 90,000 in flight), each ack reads one at random.
  std::vector<Entry, HugePageAllocator<Entry>> entries_;
  std::vector<Link, HugePageAllocator<Link>> links_;  // by slot, as entries_
  Slot free_head_ = kNil;
  RingBuffer<Slot> visible_;
  Slot flight_head_ = kNil;  // earliest deadline
  Slot flight_tail_ = kNil;  // latest deadline
  CreditQueue credits_;
  std::size_t backlog_ = 0;    // visible entries
  std::uint64_t backlog_bytes_ = 0;  // of visible entries
  std::size_t in_flight_ = 0;  // in_flight entries
};

}  // namespace qlab
