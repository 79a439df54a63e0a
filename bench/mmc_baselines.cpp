#include "bench/mmc_baselines.hpp"

#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/check.hpp"
#include "core/random_stream.hpp"
#include "queues/design_registry.hpp"

namespace qlab::bench {
namespace {

// The draws both loops make, from the streams the simulator derives for the same entities.
struct Draws {
  RandomStream arrivals;
  Distribution interarrival;
  const Distribution* service;
  std::vector<RandomStream> service_streams;  // by consumer
  Time duration;
};

Draws draws_for(const Scenario& scenario, std::uint32_t repetition) {
  QLAB_CHECK(scenario.producers.size() == 1 && scenario.producers[0].count == 1 && scenario.consumers.size() == 1 &&
                 scenario.duration,
             "a baseline runs one producer, one consumer group and a duration");
  const std::uint64_t seed = repetition_seed(scenario.seed, repetition);
  const ProducerGroup& producer = scenario.producers[0];
  const ConsumerGroup& group = scenario.consumers[0];
  Draws draws{RandomStream::derive(seed, "producer/" + producer.name + "/0/arrivals"),
              Distribution::exponential(static_cast<double>(kSecond) / producer.rate), &group.service, {},
              *scenario.duration};
  for (std::uint32_t i = 0; i < group.count; ++i) {
    draws.service_streams.push_back(RandomStream::derive(seed, "consumer/" + group.name + "/" + std::to_string(i) + "/service"));
  }
  return draws;
}

}  // namespace

BaselineRun run_minimal_mmc(const Scenario& scenario, std::uint32_t repetition) {
  struct Event {  // 24 bytes: what a minimal loop's heap would hold
    Time time;
    std::uint64_t sequence;
    std::uint32_t consumer;  // kArrival: the producer's next message
    bool operator>(const Event& other) const {
      return time > other.time || (time == other.time && sequence > other.sequence);
    }
  };
  constexpr std::uint32_t kArrival = UINT32_MAX;
  Draws draws = draws_for(scenario, repetition);
  const auto consumers = static_cast<std::uint32_t>(draws.service_streams.size());

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t sequence = 0;
  std::vector<std::uint32_t> idle;  // consumers waiting for work, oldest first
  std::size_t idle_head = 0;
  for (std::uint32_t i = 0; i < consumers; ++i) idle.push_back(i);
  std::vector<Time> waiting;  // publish times of queued messages, oldest first
  std::size_t waiting_head = 0;
  BaselineRun run;
  const auto start_service = [&](Time now, std::uint32_t consumer, Time published_at) {
    run.wait_sum += now - published_at;
    events.push(Event{now + draws.service->sample(draws.service_streams[consumer]), sequence++, consumer});
  };
  events.push(Event{draws.interarrival.sample(draws.arrivals), sequence++, kArrival});
  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    if (e.consumer == kArrival) {
      if (e.time >= draws.duration) continue;
      ++run.published;
      if (idle_head < idle.size()) {
        start_service(e.time, idle[idle_head++], e.time);
      } else {
        waiting.push_back(e.time);
      }
      events.push(Event{e.time + draws.interarrival.sample(draws.arrivals), sequence++, kArrival});
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
  return run;
}

BaselineRun run_design_floor(const Scenario& scenario, std::uint32_t repetition) {
  struct Event {  // the minimal loop's, and the receipt a completion acks
    Time time;
    std::uint64_t sequence;
    std::uint32_t consumer;  // kArrival: the producer's next message; kTimer: the design's deadline
    Receipt receipt;
    bool operator>(const Event& other) const {
      return time > other.time || (time == other.time && sequence > other.sequence);
    }
  };
  constexpr std::uint32_t kArrival = UINT32_MAX;
  constexpr std::uint32_t kTimer = UINT32_MAX - 1;
  Draws draws = draws_for(scenario, repetition);
  const auto consumers = static_cast<std::uint32_t>(draws.service_streams.size());
  const DesignInfo* info = find_design(scenario.queue.design);
  QLAB_CHECK(info != nullptr, "the scenario names an unknown design");
  const std::unique_ptr<QueueDesign> design =
      info->make(with_defaults(*info, queue_for_run(scenario).params),
                 RandomStream::derive(repetition_seed(scenario.seed, repetition), "queue"));

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t sequence = 0;
  Time timer_at = kNever;
  ActionBuffer actions;
  BaselineRun run;
  // Starts the services the design's last input delivered, and arms its timer if its deadline moved earlier.
  const auto apply = [&](Time now) {
    for (const Action& action : actions) {
      if (action.kind != ActionKind::deliver) continue;
      run.wait_sum += now - action.message.published_at;
      events.push(Event{now + draws.service->sample(draws.service_streams[action.consumer]), sequence++,
                        action.consumer, action.receipt});
    }
    actions.clear();
    const Time deadline = design->next_deadline();
    if (deadline < timer_at) {
      timer_at = deadline;
      events.push(Event{deadline, sequence++, kTimer, 0});
    }
  };
  for (std::uint32_t i = 0; i < consumers; ++i) {
    design->on_consumer_joined(0, i, actions);
    design->on_pull(0, i, 1, actions);
    apply(0);
  }
  events.push(Event{draws.interarrival.sample(draws.arrivals), sequence++, kArrival, 0});
  while (!events.empty()) {
    const Event e = events.top();
    events.pop();
    if (e.consumer == kArrival) {
      if (e.time >= draws.duration) continue;
      design->on_publish(e.time, Message{.id = ++run.published, .published_at = e.time}, actions);
      events.push(Event{e.time + draws.interarrival.sample(draws.arrivals), sequence++, kArrival, 0});
    } else if (e.consumer == kTimer) {
      if (e.time != timer_at) continue;  // superseded by an earlier deadline
      timer_at = kNever;
      design->on_timer(e.time, actions);
    } else {
      design->on_ack(e.time, e.consumer, e.receipt, actions);
      design->on_pull(e.time, e.consumer, 1, actions);
    }
    apply(e.time);
  }
  return run;
}

}  // namespace qlab::bench
