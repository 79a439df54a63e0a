// The event list alone: a hold model (pop the earliest event, schedule one a random time later) at a
// steady population, the access pattern of a discrete-event run. The payload has the size of the
// simulator's Event (64 bytes). BM_EventListHold is qlab's list; BM_BinaryHeapHold is the plain binary
// heap of whole entries it replaced, kept here as the reference it is measured against.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/random_stream.hpp"
#include "sim/event_list.hpp"

namespace {

struct Payload {
  std::uint64_t words[8];
};

// The previous event list: a binary min-heap of (time, sequence, payload) entries.
class BinaryHeapEventList {
 public:
  struct Entry {
    qlab::Time time;
    std::uint64_t sequence;
    Payload payload;
  };
  void schedule(qlab::Time time, const Payload& payload) {
    heap_.push_back(Entry{time, next_sequence_++, payload});
    std::size_t i = heap_.size() - 1;
    const Entry moving = heap_[i];
    for (; i > 0 && before(moving, heap_[(i - 1) / 2]); i = (i - 1) / 2) heap_[i] = heap_[(i - 1) / 2];
    heap_[i] = moving;
  }
  Entry pop() {
    const Entry top = heap_.front();
    const Entry moving = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return top;
    std::size_t i = 0;
    for (std::size_t child = 1; child < n; child = 2 * i + 1) {
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
    return top;
  }

 private:
  static bool before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.sequence < b.sequence);
  }
  std::vector<Entry> heap_;
  std::uint64_t next_sequence_ = 0;
};

template <class List>
void hold(benchmark::State& state) {
  const auto population = static_cast<std::size_t>(state.range(0));
  List events;
  qlab::RandomStream rng(1);
  for (std::size_t i = 0; i < population; ++i) {
    events.schedule(static_cast<qlab::Time>(rng.next_below(1'000'000)), Payload{{i}});
  }
  for (auto _ : state) {
    const auto e = events.pop();
    events.schedule(e.time + static_cast<qlab::Time>(rng.next_below(1'000'000)), e.payload);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EventListHold(benchmark::State& state) { hold<qlab::sim::EventList<Payload>>(state); }
void BM_BinaryHeapHold(benchmark::State& state) { hold<BinaryHeapEventList>(state); }
BENCHMARK(BM_EventListHold)->Arg(16)->Arg(1024)->Arg(65536)->Arg(131072)->Arg(1 << 20);
BENCHMARK(BM_BinaryHeapHold)->Arg(16)->Arg(1024)->Arg(65536)->Arg(131072)->Arg(1 << 20);

}  // namespace
