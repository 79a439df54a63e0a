#include "live_worker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/arrival_process.hpp"
#include "core/member_name.hpp"
#include "core/random_stream.hpp"
#include "live/backends/backend_registry.hpp"
#include "live/record_file.hpp"
#include "live/scenario_scaling.hpp"

namespace qlab::live {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reread_slow{true};

extern "C" void on_stop_signal(int) { g_stop.store(true); }
extern "C" void on_slow_signal(int) { g_reread_slow.store(true); }

// The factor in `path` (1 when the file is absent or unreadable).
double read_slow_factor(const std::string& path) {
  if (path.empty()) return 1;
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 1;
  double factor = 1;
  if (std::fscanf(f, "%lf", &factor) != 1 || !(factor > 0)) factor = 1;
  std::fclose(f);
  return factor;
}

// How many lines of `path` start with `kind` (0 when the file does not exist yet).
std::uint64_t count_record_lines(const std::string& path, char kind) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 0;
  std::uint64_t count = 0;
  bool line_start = true;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
    if (line_start && c == kind) ++count;
    line_start = c == '\n';
  }
  std::fclose(f);
  return count;
}

void sleep_until(Time deadline) {
  timespec ts{static_cast<time_t>(deadline / kSecond), static_cast<long>(deadline % kSecond)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// What a worker's client needs: the scenario's queue (time-scaled, as the broker runs it) and the back end's
// options.
ClientConfig client_config(const Scenario& scenario, double time_scale, const WorkerTarget& target, ClientRole role,
                           const std::string& name) {
  ClientConfig config;
  config.role = role;
  config.name = name;
  config.endpoints = target.endpoints;
  config.token = target.token;
  config.queue = scale_scenario(scenario, time_scale).queue;
  config.backend_options = backend_options_json(scenario);
  for (const ConsumerGroup& g : scenario.consumers) config.consumer_count += g.count;
  return config;
}

// Connects, retrying while the broker is unreachable (it is restarting) or still holds this client's previous
// session (a consumer restarted faster than the broker noticed its death), until `give_up`.
std::unique_ptr<BrokerClient> connect_retrying(const Backend& backend, const ClientConfig& config, Time give_up) {
  for (;;) {
    try {
      return backend.connect(config);
    } catch (const BackendError& e) {
      if (!e.connection_lost || monotonic_now() > give_up || g_stop.load()) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

constexpr Time kReconnectPatience = 120 * kSecond;

unsigned long long u(std::int64_t v) { return static_cast<unsigned long long>(v); }
unsigned long long u(std::uint64_t v) { return static_cast<unsigned long long>(v); }

// BrokerEvents as three callbacks (each worker fills in what it handles).
struct EventHandlers final : BrokerEvents {
  std::function<void(const PublishResult&)> published = [](const PublishResult&) {};
  std::function<void(const Delivery&)> delivered = [](const Delivery&) {};
  std::function<void(const std::string&)> warned = [](const std::string&) {};
  void on_published(const PublishResult& result) override { published(result); }
  void on_delivery(const Delivery& delivery) override { delivered(delivery); }
  void on_warning(const std::string& text) override { warned(text); }
};

}  // namespace

int run_producer(const Scenario& scenario, const ProducerTask& task) {
  const ProducerGroup& group = scenario.producers.at(task.group);
  const std::string name = member_name(group.name, task.index);
  if (group.rate_max) throw std::invalid_argument("producer group " + group.name + ": rate: max reached a worker (the "
                                                  "coordinator sets the rate with --set)");
  // The simulator's streams and arrival process, in scenario time; real time = start + scenario time x scale.
  const std::string stream = "producer/" + group.name + "/" + std::to_string(task.index);
  ArrivalProcess arrivals(group, scenario.duration, RandomStream::derive(task.seed, stream + "/arrivals"));
  RandomStream size_rng = RandomStream::derive(task.seed, stream + "/sizes");
  const auto real_time = [&](Time scenario_time) {
    return task.start + static_cast<Time>(static_cast<double>(scenario_time) * task.time_scale);
  };
  const auto real_duration = [&](Time scenario_duration) {
    return static_cast<Time>(static_cast<double>(scenario_duration) * task.time_scale);
  };
  // Message ids unique in the run, for back ends that carry the producer's id (qlab's broker assigns its own):
  // the producer's global index, its life (restarts), and the sequence number.
  std::uint64_t producer = task.index;
  for (std::size_t g = 0; g < task.group; ++g) producer += scenario.producers[g].count;
  const std::uint64_t id_base = ((producer + 1) << 40) + (static_cast<std::uint64_t>(task.outages.size()) << 32);
  RecordFile records(task.records);
  const Backend& backend = find_backend(task.broker.backend);
  const ClientConfig config = client_config(scenario, task.time_scale, task.broker, ClientRole::producer, name);
  std::unique_ptr<BrokerClient> client = connect_retrying(backend, config, monotonic_now() + kReconnectPatience);

  // A restarted producer replays the draws of its earlier lives: the arrivals before each crash were
  // published (a size draw each); the one already drawn when it crashed is lost; each restart continues the
  // process from the restart time, as in the simulator.
  Time next = arrivals.next(0);  // kNever once the producer is done
  for (const auto& [crashed, resumed] : task.outages) {
    while (next != kNever && next < crashed) {
      group.size.sample(size_rng);
      arrivals.on_published();
      next = arrivals.next(next);
    }
    arrivals.on_restart(resumed);
    next = arrivals.next(resumed);
  }

  // While the broker is unreachable (it crashed) or refuses a publish (no leader), the producer does what its
  // group's on_unavailable says, as in the simulator: refuse gives the message up at once (an A line with
  // status refused); retry sends it again after the policy's backoff (an R line each time) until the limit,
  // counted from its intended send time. A connection lost with publishes unconfirmed leaves them unconfirmed
  // (S lines without A: lost_unconfirmed_publish), since the broker may have taken them.
  struct Pending {
    PublishRequest request;
    std::uint32_t refused = 0;  // sends refused so far
    Time again = 0;             // retry: when to send it again
  };
  const bool retrying = group.on_unavailable == OnUnavailable::retry;
  std::unordered_map<std::uint64_t, Pending> unconfirmed;  // by seq, with retry only: what a refusal sends again
  std::vector<Pending> retries;
  const auto refused = [&](Pending p, Time now) {
    ++p.refused;
    const Time again = now + real_duration(group.retry.delay(p.refused));
    if (retrying && again - p.request.intended <= real_duration(group.retry.limit)) {
      records.line("R,%llu,%llu\n", u(p.request.client_seq), u(now));
      p.again = again;
      retries.push_back(std::move(p));
    } else {
      records.line("A,%llu,0,%llu,1\n", u(p.request.client_seq), u(now));
    }
  };
  const auto connect_once = [&] {
    try {
      client = backend.connect(config);
    } catch (const BackendError& e) {
      if (!e.connection_lost) throw;  // refused by the broker for good (a wrong token): not an outage
    }
  };
  std::uint64_t outstanding = 0;
  const auto lose_connection = [&](const BackendError& e) {
    std::fprintf(stderr, "qlab live producer %s: %s; %llu publishes unconfirmed\n", name.c_str(), e.what(), u(outstanding));
    client.reset();
    outstanding = 0;
    unconfirmed.clear();
  };
  Time last_progress = monotonic_now();
  EventHandlers events;
  events.published = [&](const PublishResult& r) {
    const Time confirmed = monotonic_now();
    --outstanding;
    last_progress = confirmed;
    const auto waiting = unconfirmed.find(r.client_seq);
    if (!r.accepted && waiting != unconfirmed.end()) {
      Pending p = std::move(waiting->second);
      unconfirmed.erase(waiting);
      refused(std::move(p), confirmed);
      return;
    }
    if (waiting != unconfirmed.end()) unconfirmed.erase(waiting);
    records.line("A,%llu,%llu,%llu,%u\n", u(r.client_seq), u(r.accepted ? r.message_id : 0), u(confirmed),
                 r.accepted ? 0u : 1u);
  };
  events.warned = [&](const std::string& text) {
    std::fprintf(stderr, "qlab live producer %s: %s\n", name.c_str(), text.c_str());
  };
  // Sends `batch` (refused at once when the broker cannot be reached).
  const auto send = [&](std::vector<Pending> batch, Time now) {
    if (!client) connect_once();
    if (client) {
      std::vector<PublishRequest> requests;
      requests.reserve(batch.size());
      for (const Pending& p : batch) requests.push_back(p.request);
      try {
        client->publish(requests);
        outstanding += batch.size();
        if (retrying) {
          for (Pending& p : batch) unconfirmed[p.request.client_seq] = std::move(p);
        }
      } catch (const BackendError& e) {
        if (!e.connection_lost) throw;
        lose_connection(e);
      }
      if (client) {
        // Out now (a client may queue until its next poll), also while the producer is behind and keeps
        // finding arrivals due; a connection lost here leaves the batch unconfirmed.
        try {
          client->poll(0, events);
        } catch (const BackendError& e) {
          if (!e.connection_lost) throw;
          lose_connection(e);
        }
        return;
      }
    }
    for (Pending& p : batch) refused(std::move(p), now);
  };

  // Under a `drop` fault on producer->broker some publishes never reach the broker, and a broker node that
  // crashes may take publishes with it that it never confirms nor refuses: after the last arrival the producer
  // waits a short while for confirmations, then stops with those unconfirmed (lost_unconfirmed_publish).
  // Otherwise a silent broker is a failure.
  const bool publishes_may_vanish = std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const FaultSpec& f) {
    return (f.action == FaultAction::drop && f.hop == Hop::producer_to_broker) || f.action == FaultAction::broker_crash;
  });
  const Time confirm_patience = publishes_may_vanish ? 2 * kSecond : 60 * kSecond;
  while (next != kNever || outstanding > 0 || !retries.empty()) {
    const Time now = monotonic_now();
    if (next != kNever && real_time(next) <= now) {
      // Everything due goes out in one batch; each message keeps its own intended time (open loop: a slow
      // broker shows as latency from the intended time, never as a lower send rate).
      std::vector<Pending> batch;
      std::size_t bytes = 0;
      while (next != kNever && real_time(next) <= now && batch.size() < 1000 && bytes < 512 * 1024) {
        const std::uint64_t seq = arrivals.sent();
        const auto size = static_cast<std::size_t>(std::max<std::int64_t>(0, group.size.sample(size_rng)));
        std::string payload = name + "-" + std::to_string(seq);
        payload.resize(std::max(size, payload.size()), '.');
        bytes += payload.size();
        const std::uint64_t key = mix64((static_cast<std::uint64_t>(task.group) << 48) ^
                                        (static_cast<std::uint64_t>(task.index) << 32) ^ seq);
        const Time intended = real_time(next);
        batch.push_back({{seq, id_base + seq, key, intended, std::move(payload)}, 0, 0});
        records.line("S,%llu,%llu,%llu\n", u(seq), u(intended), u(now));
        arrivals.on_published();
        next = arrivals.next(next);
      }
      send(std::move(batch), now);
      continue;
    }
    if (!retries.empty()) {
      std::vector<Pending> due;
      std::erase_if(retries, [&](Pending& p) {
        if (p.again > now) return false;
        due.push_back(std::move(p));
        return true;
      });
      if (!due.empty()) {
        send(std::move(due), now);
        continue;
      }
    }
    Time wake = now + kSecond;
    if (next != kNever) wake = std::min(wake, real_time(next));
    for (const Pending& p : retries) wake = std::min(wake, p.again);
    if (!client) {
      if (next == kNever && retries.empty()) break;  // nothing left to send, nothing to confirm on a dead connection
      sleep_until(wake);
      continue;
    }
    std::size_t heard = 0;
    try {
      heard = client->poll(std::max<Time>(0, wake - now), events);
    } catch (const BackendError& e) {
      if (!e.connection_lost) {
        std::fprintf(stderr, "qlab live producer %s: %s\n", name.c_str(), e.what());
        return 1;
      }
      lose_connection(e);
      continue;
    }
    if (heard == 0 && next == kNever && retries.empty() && monotonic_now() - last_progress > confirm_patience) {
      std::fprintf(stderr, "qlab live producer %s: %llu publishes unconfirmed after %s\n", name.c_str(),
                   u(outstanding), publishes_may_vanish ? "2 s (dropped or lost by a broker fault)" : "60 s");
      return publishes_may_vanish ? 0 : 1;
    }
  }
  return 0;
}

int run_consumer(const Scenario& scenario, const ConsumerTask& task) {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGUSR1, on_slow_signal);
  double slow_factor = 1;
  const ConsumerGroup& group = scenario.consumers.at(task.group);
  const std::string name = member_name(group.name, task.index);
  // The simulator's service stream, continued across restarts: every processing start drew one service time,
  // and each start is a B line in this consumer's records (written before the draw), so a restarted process
  // skips as many draws as its earlier lives made.
  RandomStream service_rng = RandomStream::derive(task.seed, "consumer/" + group.name + "/" +
                                                                 std::to_string(task.index) + "/service");
  for (std::uint64_t n = count_record_lines(task.records, 'B'); n > 0; --n) group.service.sample(service_rng);
  RecordFile records(task.records);
  // The global consumer index (order of the scenario's groups), as results name consumers.
  std::uint32_t consumer = task.index;
  for (std::size_t g = 0; g < task.group; ++g) consumer += scenario.consumers[g].count;

  const Backend& backend = find_backend(task.broker.backend);
  ClientConfig config = client_config(scenario, task.time_scale, task.broker, ClientRole::consumer, name);
  config.consumer_index = consumer;
  std::unique_ptr<BrokerClient> client = connect_retrying(backend, config, monotonic_now() + kReconnectPatience);
  client->pull(group.prefetch);
  // After a lost connection (the broker crashed) the consumer finishes what it holds, then reconnects.
  bool connection_lost = false;
  const auto lose_connection = [&](const BackendError& e) {
    if (!e.connection_lost) throw std::runtime_error(e.what());  // a misconfiguration or a bug, not an outage
    if (!connection_lost) std::fprintf(stderr, "qlab live consumer %s: %s\n", name.c_str(), e.what());
    connection_lost = true;
  };

  std::deque<Delivery> held;
  EventHandlers events;
  events.delivered = [&](const Delivery& d) {
    records.line("D,%u,%llu,%u,%llu,%llu\n", consumer, u(d.message_id), d.receive_count, u(d.intended),
                 u(monotonic_now()));
    held.push_back(d);
  };
  events.warned = [&](const std::string& text) {
    std::fprintf(stderr, "qlab live consumer %s: %s\n", name.c_str(), text.c_str());
  };
  const auto process_front = [&] {
    const Delivery d = held.front();
    held.pop_front();
    const Time start = monotonic_now();
    records.line("B,%u,%llu,%llu\n", consumer, u(d.message_id), u(start));
    if (g_reread_slow.exchange(false)) slow_factor = read_slow_factor(task.slow_file);
    const auto service = static_cast<double>(std::max<std::int64_t>(0, group.service.sample(service_rng)));
    sleep_until(start + static_cast<Time>(service * slow_factor * task.time_scale));
    const Time end = monotonic_now();
    records.line("C,%u,%llu,%llu,%llu\n", consumer, u(d.message_id), u(start), u(end));
    if (connection_lost) return;
    try {
      client->ack(d.receipt);
      client->pull(1);
    } catch (const BackendError& e) {
      lose_connection(e);
    }
  };
  const auto tell_ready = [&] {
    if (task.ready_file.empty()) return;
    client->poll(0, events);  // the client's first requests are out
    RecordFile(task.ready_file).line("ready\n");
  };
  tell_ready();

  while (!g_stop.load()) {
    try {
      // Stamp every delivery that has arrived before starting the next piece of work.
      if (!connection_lost) client->poll(0, events);
      if (!held.empty()) {
        process_front();
        continue;
      }
      if (connection_lost) {
        client.reset();
        client = connect_retrying(backend, config, monotonic_now() + kReconnectPatience);
        connection_lost = false;
        client->pull(group.prefetch);
        continue;
      }
      client->poll(50 * kMillisecond, events);
    } catch (const BackendError& e) {
      lose_connection(e);
    }
  }
  // While stopping, a broker that does not answer a flush is given up on (what is held is still processed).
  const auto give_up = [&](const BackendError& e) {
    std::fprintf(stderr, "qlab live consumer %s: stopping: %s\n", name.c_str(), e.what());
    connection_lost = true;
  };
  // Stopping: a flush brings in every delivery the broker already sent (qlab: a STATS round trip); finish
  // them all, then flush again so the last acks are in before the connection closes.
  try {
    if (!connection_lost) {
      client->flush(10 * kSecond);
      client->poll(0, events);
    }
  } catch (const BackendError& e) {
    give_up(e);
  }
  while (!held.empty()) process_front();
  try {
    if (!connection_lost) client->flush(10 * kSecond);
  } catch (const BackendError& e) {
    give_up(e);
  }
  return 0;
}

}  // namespace qlab::live
