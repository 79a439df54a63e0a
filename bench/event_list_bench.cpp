// The event list alone: a hold model (pop the earliest event, schedule one a random time later) at a
// steady population, the access pattern of a discrete-event run. The payload has the size of the
// simulator's Event (64 bytes), so the cost of moving entries is the simulator's.
#include <benchmark/benchmark.h>

#include "core/random_stream.hpp"
#include "sim/event_list.hpp"

namespace {

struct Payload {
  std::uint64_t words[8];
};

void BM_EventListHold(benchmark::State& state) {
  const auto population = static_cast<std::size_t>(state.range(0));
  qlab::sim::EventList<Payload> events;
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

BENCHMARK(BM_EventListHold)->Arg(16)->Arg(1024)->Arg(65536)->Arg(131072)->Arg(1 << 20);

}  // namespace
