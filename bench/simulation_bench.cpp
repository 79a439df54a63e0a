// A full simulated M/M/8 queue at rho = 0.9 with every metric on (histograms, time series, ledger,
// per-consumer accounting) against the baseline it is judged by: a minimal M/M/c loop in the same process
// (the same arrival and service streams and draws, a binary heap of events, no metrics, no checks).
// Runs alternate (minimal, design floor, full) several times so all see the same machine load; the reported
// ratio is the median of the rounds' ratios of simulated messages per second of CPU time (of the benchmark
// thread). The design floor (run_design_floor) is the minimal loop with the real design deciding who takes
// what: no simulator that runs the designs can beat it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <cstdint>
#include <queue>
#include <vector>

#include "core/random_stream.hpp"
#include "queues/design_registry.hpp"
#include "sim/simulation.hpp"
#include "workloads/scenario_loader.hpp"

namespace {

using qlab::Time;

qlab::Scenario mm8_scenario(const char* design) {
  return qlab::workloads::load_scenario_text(
      std::string("name: mm8\nduration: 100000s\nqueue: {design: ") + design +
          "}\nproducers: [{rate: 7.2/s}]\nconsumers: [{count: 8, service: {dist: exponential, mean: 1s}}]\n",
      "bench");
}

// The baseline: one Poisson producer, c identical consumers pulling from one FIFO queue, run until the
// duration and then drained. Draws come from the streams the simulator derives for the same entities.
// Returns the number of messages published; `checksum` keeps the work observable.
std::uint64_t run_minimal_mmc(const qlab::Scenario& scenario, std::uint32_t repetition, Time& checksum) {
  struct Event {
    Time time;
    std::uint64_t sequence;
    std::uint32_t consumer;  // kArrival: the producer's next message
    bool operator>(const Event& other) const {
      return time > other.time || (time == other.time && sequence > other.sequence);
    }
  };
  constexpr std::uint32_t kArrival = UINT32_MAX;
  const std::uint64_t seed = qlab::repetition_seed(scenario.seed, repetition);
  const qlab::ProducerGroup& producer = scenario.producers[0];
  const qlab::ConsumerGroup& group = scenario.consumers[0];
  const std::string producer_stream = "producer/" + producer.name + "/0";
  qlab::RandomStream arrivals = qlab::RandomStream::derive(seed, producer_stream + "/arrivals");
  const auto interarrival = qlab::Distribution::exponential(static_cast<double>(qlab::kSecond) / producer.rate);
  std::vector<qlab::RandomStream> service;
  for (std::uint32_t i = 0; i < group.count; ++i) {
    service.push_back(qlab::RandomStream::derive(seed, "consumer/" + group.name + "/" + std::to_string(i) + "/service"));
  }

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t sequence = 0;
  std::vector<std::uint32_t> idle;  // consumers waiting for work, oldest first
  std::size_t idle_head = 0;
  for (std::uint32_t i = 0; i < group.count; ++i) idle.push_back(i);
  std::vector<Time> waiting;  // arrival times of queued messages, oldest first
  std::size_t waiting_head = 0;
  std::uint64_t published = 0;
  const auto start_service = [&](Time now, std::uint32_t consumer, Time arrived) {
    checksum += now - arrived;
    events.push(Event{now + group.service.sample(service[consumer]), sequence++, consumer});
  };
  events.push(Event{interarrival.sample(arrivals), sequence++, kArrival});
  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    if (e.consumer == kArrival) {
      if (e.time >= *scenario.duration) continue;
      ++published;
      if (idle_head < idle.size()) {
        start_service(e.time, idle[idle_head++], e.time);
      } else {
        waiting.push_back(e.time);
      }
      events.push(Event{e.time + interarrival.sample(arrivals), sequence++, kArrival});
    } else if (waiting_head < waiting.size()) {
      start_service(e.time, e.consumer, waiting[waiting_head++]);
    } else {
      idle.push_back(e.consumer);
    }
    // Reclaim the consumed fronts once they dominate, so both queues stay small.
    if (idle_head > 1024 && idle_head * 2 > idle.size()) {
      idle.erase(idle.begin(), idle.begin() + static_cast<std::ptrdiff_t>(idle_head));
      idle_head = 0;
    }
    if (waiting_head > 1024 && waiting_head * 2 > waiting.size()) {
      waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(waiting_head));
      waiting_head = 0;
    }
  }
  return published;
}

// The least any simulator that runs the designs must do: the minimal loop above, but the real design (through
// its QueueDesign interface, as the simulator and the live broker call it) decides which consumer takes which
// message, and a timer event is kept at its next_deadline(). Still no metrics, no checks, no ledger. Its
// speed against the minimal loop bounds the ratio the full simulator could reach. Returns the messages
// published.
std::uint64_t run_design_floor(const qlab::Scenario& scenario, std::uint32_t repetition, Time& checksum) {
  struct Event {
    Time time;
    std::uint64_t sequence;
    std::uint32_t consumer;  // kArrival: the producer's next message; kTimer: the design's deadline
    qlab::Receipt receipt;   // a completion's delivery
    bool operator>(const Event& other) const {
      return time > other.time || (time == other.time && sequence > other.sequence);
    }
  };
  constexpr std::uint32_t kArrival = UINT32_MAX;
  constexpr std::uint32_t kTimer = UINT32_MAX - 1;
  const std::uint64_t seed = qlab::repetition_seed(scenario.seed, repetition);
  const qlab::ProducerGroup& producer = scenario.producers[0];
  const qlab::ConsumerGroup& group = scenario.consumers[0];
  qlab::RandomStream arrivals = qlab::RandomStream::derive(seed, "producer/" + producer.name + "/0/arrivals");
  const auto interarrival = qlab::Distribution::exponential(static_cast<double>(qlab::kSecond) / producer.rate);
  std::vector<qlab::RandomStream> service;
  for (std::uint32_t i = 0; i < group.count; ++i) {
    service.push_back(qlab::RandomStream::derive(seed, "consumer/" + group.name + "/" + std::to_string(i) + "/service"));
  }
  const qlab::DesignInfo& info = *qlab::find_design(scenario.queue.design);
  const std::unique_ptr<qlab::QueueDesign> design = info.make(
      qlab::with_defaults(info, qlab::queue_for_run(scenario).params), qlab::RandomStream::derive(seed, "queue"));

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t sequence = 0;
  Time timer_at = qlab::kNever;
  qlab::ActionBuffer actions;
  // Starts what the design's last input decided, and arms its timer if its deadline moved earlier.
  const auto apply = [&](Time now) {
    for (const qlab::Action& action : actions) {
      if (action.kind != qlab::ActionKind::deliver) continue;
      checksum += now - action.message.published_at;
      events.push(Event{now + group.service.sample(service[action.consumer]), sequence++, action.consumer, action.receipt});
    }
    actions.clear();
    const Time deadline = design->next_deadline();
    if (deadline < timer_at) {
      timer_at = deadline;
      events.push(Event{deadline, sequence++, kTimer, 0});
    }
  };
  for (std::uint32_t i = 0; i < group.count; ++i) {
    design->on_consumer_joined(0, i, actions);
    design->on_pull(0, i, 1, actions);
    apply(0);
  }
  std::uint64_t published = 0;
  events.push(Event{interarrival.sample(arrivals), sequence++, kArrival, 0});
  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    if (e.consumer == kArrival) {
      if (e.time >= *scenario.duration) continue;
      design->on_publish(e.time, qlab::Message{.id = ++published, .published_at = e.time}, actions);
      events.push(Event{e.time + interarrival.sample(arrivals), sequence++, kArrival, 0});
    } else if (e.consumer == kTimer) {
      if (e.time != timer_at) continue;  // superseded by an earlier deadline
      timer_at = qlab::kNever;
      design->on_timer(e.time, actions);
    } else {
      design->on_ack(e.time, e.consumer, e.receipt, actions);
      design->on_pull(e.time, e.consumer, 1, actions);
    }
    apply(e.time);
  }
  return published;
}

// CPU time of the calling thread: on a machine shared with other work, wall time would measure the load.
double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Argument: 0 = pull, 1 = visibility_timeout. Counters: the median full and minimal rates (messages/s)
// and the median ratios full / minimal and design floor / minimal (the most any simulator hosting the
// design could reach) over kRounds alternating rounds.
void BM_FullVsMinimalMM8(benchmark::State& state) {
  constexpr int kRounds = 7;
  const char* design = state.range(0) == 0 ? "pull" : "visibility_timeout";
  const qlab::Scenario scenario = mm8_scenario(design);
  std::vector<double> full_rates;
  std::vector<double> minimal_rates;
  std::vector<double> ratios;
  std::vector<double> floor_ratios;
  std::uint32_t repetition = 0;
  for (auto _ : state) {
    for (int round = 0; round < kRounds; ++round, ++repetition) {
      Time checksum = 0;
      double start = thread_seconds();
      const std::uint64_t minimal_messages = run_minimal_mmc(scenario, repetition, checksum);
      const double minimal_rate = static_cast<double>(minimal_messages) / (thread_seconds() - start);
      benchmark::DoNotOptimize(checksum);
      start = thread_seconds();
      const std::uint64_t floor_messages = run_design_floor(scenario, repetition, checksum);
      const double floor_rate = static_cast<double>(floor_messages) / (thread_seconds() - start);
      benchmark::DoNotOptimize(checksum);
      if (floor_messages != minimal_messages) {
        state.SkipWithError("the design floor and the minimal loop published different numbers of messages");
        return;
      }
      start = thread_seconds();
      const qlab::RunResult run = qlab::sim::simulate(scenario, repetition);
      const double full_rate = run.metric("published").value() / (thread_seconds() - start);
      minimal_rates.push_back(minimal_rate);
      full_rates.push_back(full_rate);
      ratios.push_back(full_rate / minimal_rate);
      floor_ratios.push_back(floor_rate / minimal_rate);
    }
  }
  state.counters["full_msgs_per_s"] = median(full_rates);
  state.counters["minimal_msgs_per_s"] = median(minimal_rates);
  state.counters["ratio"] = median(ratios);
  state.counters["design_floor_ratio"] = median(floor_ratios);
  state.SetLabel(design);
}
BENCHMARK(BM_FullVsMinimalMM8)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
