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
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/arrival_process.hpp"
#include "core/random_stream.hpp"
#include "live/client.hpp"
#include "live/record_file.hpp"

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

std::string member_name(const std::string& group, std::uint32_t index) {
  return group + "[" + std::to_string(index) + "]";
}

// Connects, retrying while the broker is unreachable (it is restarting) or still holds this client's previous
// session (a consumer restarted faster than the broker noticed its death), until `give_up`.
Client connect_retrying(const WorkerTarget& target, const Hello& hello, Time give_up) {
  for (;;) {
    try {
      return Client(target.host, target.port, hello, std::chrono::seconds(5));
    } catch (const ClientError& e) {
      const bool transient = !e.error || e.error->code == ErrorCode::name_in_use;
      if (!transient || monotonic_now() > give_up || g_stop.load()) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

constexpr Time kReconnectPatience = 120 * kSecond;

unsigned long long u(std::int64_t v) { return static_cast<unsigned long long>(v); }
unsigned long long u(std::uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

Time monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Time>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

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
  RecordFile records(task.records);
  const Hello hello{kProtocolVersion, Role::producer, name, task.broker.token};
  std::optional<Client> client = connect_retrying(task.broker, hello, monotonic_now() + kReconnectPatience);

  // A restarted producer replays the draws of its earlier lives: the arrivals before each crash were
  // published (a size draw each); the one already drawn when it crashed is lost; each restart continues the
  // process from the restart time, as in the simulator.
  std::optional<Time> next = arrivals.next(0);
  for (const auto& [crashed, resumed] : task.outages) {
    while (next && *next < crashed) {
      group.size.sample(size_rng);
      arrivals.on_published();
      next = arrivals.next(*next);
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
    PublishItem item;
    std::uint32_t refused = 0;  // sends refused so far
    Time again = 0;             // retry: when to send it again
  };
  const bool retrying = group.on_unavailable == OnUnavailable::retry;
  std::unordered_map<std::uint64_t, Pending> unconfirmed;  // by seq, with retry only: what a refusal sends again
  std::vector<Pending> retries;
  const auto refused = [&](Pending p, Time now) {
    ++p.refused;
    const Time again = now + real_duration(group.retry.delay(p.refused));
    if (retrying && again - static_cast<Time>(p.item.producer_time) <= real_duration(group.retry.limit)) {
      records.line("R,%llu,%llu\n", u(p.item.client_seq), u(now));
      p.again = again;
      retries.push_back(std::move(p));
    } else {
      records.line("A,%llu,0,%llu,%u\n", u(p.item.client_seq), u(now), static_cast<unsigned>(PublishStatus::refused));
    }
  };
  const auto connect_once = [&] {
    try {
      client.emplace(task.broker.host, task.broker.port, hello, std::chrono::seconds(1));
    } catch (const ClientError& e) {
      if (e.error) throw;  // refused by the broker for good (a wrong token): not an outage
    }
  };
  std::uint64_t outstanding = 0;
  const auto lose_connection = [&](const ClientError& e) {
    std::fprintf(stderr, "qlab live producer %s: %s; %llu publishes unconfirmed\n", name.c_str(), e.what(), u(outstanding));
    client.reset();
    outstanding = 0;
    unconfirmed.clear();
  };
  // Sends `batch` (refused at once when the broker cannot be reached).
  const auto send = [&](std::vector<Pending> batch, Time now) {
    if (!client) connect_once();
    if (client) {
      Publish publish;
      for (const Pending& p : batch) publish.messages.push_back(p.item);
      try {
        client->send_publish(publish);
        outstanding += batch.size();
        if (retrying) {
          for (Pending& p : batch) unconfirmed[p.item.client_seq] = std::move(p);
        }
        return;
      } catch (const ClientError& e) {
        lose_connection(e);
      }
    }
    for (Pending& p : batch) refused(std::move(p), now);
  };

  Time last_progress = monotonic_now();
  // Under a `drop` fault on producer->broker some PUBLISH frames never reach the broker, and a broker node that
  // crashes may take publishes with it that it never confirms nor refuses: after the last arrival the producer
  // waits a short while for confirmations, then stops with those unconfirmed (lost_unconfirmed_publish).
  // Otherwise a silent broker is a failure.
  const bool publishes_may_vanish = std::any_of(scenario.faults.begin(), scenario.faults.end(), [](const FaultSpec& f) {
    return (f.action == FaultAction::drop && f.hop == Hop::producer_to_broker) || f.action == FaultAction::broker_crash;
  });
  const Time confirm_patience = publishes_may_vanish ? 2 * kSecond : 60 * kSecond;
  while (next || outstanding > 0 || !retries.empty()) {
    const Time now = monotonic_now();
    if (next && real_time(*next) <= now) {
      // Everything due goes out in one PUBLISH; each message keeps its own intended time (open loop: a slow
      // broker shows as latency from the intended time, never as a lower send rate).
      std::vector<Pending> batch;
      std::size_t bytes = 0;
      while (next && real_time(*next) <= now && batch.size() < 1000 && bytes < 512 * 1024) {
        const std::uint64_t seq = arrivals.sent();
        const auto size = static_cast<std::size_t>(std::max<std::int64_t>(0, group.size.sample(size_rng)));
        std::string payload = name + "-" + std::to_string(seq);
        payload.resize(std::max(size, payload.size()), '.');
        bytes += payload.size();
        const std::uint64_t key = mix64((static_cast<std::uint64_t>(task.group) << 48) ^
                                        (static_cast<std::uint64_t>(task.index) << 32) ^ seq);
        const Time intended = real_time(*next);
        batch.push_back({{seq, key, static_cast<std::uint64_t>(intended), std::move(payload)}, 0, 0});
        records.line("S,%llu,%llu,%llu\n", u(seq), u(intended), u(now));
        arrivals.on_published();
        next = arrivals.next(*next);
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
    if (next) wake = std::min(wake, real_time(*next));
    for (const Pending& p : retries) wake = std::min(wake, p.again);
    if (!client) {
      if (!next && retries.empty()) break;  // nothing left to send, nothing to confirm on a dead connection
      sleep_until(wake);
      continue;
    }
    std::optional<Frame> frame;
    try {
      frame = client->read_frame(std::chrono::milliseconds(std::max<Time>(0, (wake - now) / kMillisecond)));
    } catch (const ClientError& e) {
      lose_connection(e);
      continue;
    }
    if (!frame) {
      if (!next && retries.empty() && monotonic_now() - last_progress > confirm_patience) {
        std::fprintf(stderr, "qlab live producer %s: %llu publishes unconfirmed after %s\n", name.c_str(),
                     u(outstanding), publishes_may_vanish ? "2 s (dropped or lost by a broker fault)" : "60 s");
        return publishes_may_vanish ? 0 : 1;
      }
      continue;
    }
    if (frame->header.type == FrameType::publish_ok) {
      const Time confirmed = monotonic_now();
      for (const PublishConfirm& c : decode_publish_ok(frame->body).confirms) {
        --outstanding;
        const auto waiting = unconfirmed.find(c.client_seq);
        if (c.status == PublishStatus::refused && waiting != unconfirmed.end()) {
          Pending p = std::move(waiting->second);
          unconfirmed.erase(waiting);
          refused(std::move(p), confirmed);
          continue;
        }
        if (waiting != unconfirmed.end()) unconfirmed.erase(waiting);
        records.line("A,%llu,%llu,%llu,%u\n", u(c.client_seq), u(c.message_id), u(confirmed),
                     static_cast<unsigned>(c.status));
      }
      last_progress = confirmed;
    } else if (frame->header.type == FrameType::error) {
      const Error error = decode_error(frame->body);
      std::fprintf(stderr, "qlab live producer %s: broker error %s: %s\n", name.c_str(),
                   std::string(error_code_name(error.code)).c_str(), error.text.c_str());
      if (error.fatal) return 1;
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

  const Hello hello{kProtocolVersion, Role::consumer, name, task.broker.token};
  std::optional<Client> client = connect_retrying(task.broker, hello, monotonic_now() + kReconnectPatience);
  client->send_pull(Pull{group.prefetch, kWaitForever, false});
  // After a lost connection (the broker crashed) the consumer finishes what it holds, then reconnects.
  bool connection_lost = false;
  const auto lose_connection = [&](const ClientError& e) {
    if (!connection_lost) std::fprintf(stderr, "qlab live consumer %s: %s\n", name.c_str(), e.what());
    connection_lost = true;
  };

  std::deque<Deliver> held;
  const auto take = [&](const Frame& frame) {
    if (frame.header.type == FrameType::deliver) {
      Deliver d = decode_deliver(frame.body);
      records.line("D,%u,%llu,%u,%llu,%llu\n", consumer, u(d.message_id), d.receive_count, u(d.producer_time),
                   u(monotonic_now()));
      held.push_back(std::move(d));
    } else if (frame.header.type == FrameType::error) {
      const Error error = decode_error(frame.body);
      if (error.fatal) throw std::runtime_error("broker error " + std::string(error_code_name(error.code)) + ": " + error.text);
    }
  };
  const auto process_front = [&] {
    const Deliver d = std::move(held.front());
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
      client->ack({d.receipt});
      client->send_pull(Pull{1, kWaitForever, false});
    } catch (const ClientError& e) {
      lose_connection(e);
    }
  };

  while (!g_stop.load()) {
    try {
      // Stamp every delivery that has arrived before starting the next piece of work.
      while (!connection_lost) {
        std::optional<Frame> frame = client->read_frame(std::chrono::milliseconds(0));
        if (!frame) break;
        take(*frame);
      }
      if (!held.empty()) {
        process_front();
        continue;
      }
      if (connection_lost) {
        client.reset();
        client.emplace(connect_retrying(task.broker, hello, monotonic_now() + kReconnectPatience));
        connection_lost = false;
        client->send_pull(Pull{group.prefetch, kWaitForever, false});
        continue;
      }
      if (std::optional<Frame> frame = client->read_frame(std::chrono::milliseconds(50))) take(*frame);
    } catch (const ClientError& e) {
      if (e.error) throw;  // the broker refused something: a bug or a misconfiguration, not an outage
      lose_connection(e);
    }
  }
  // Stopping: a STATS round trip brings in every delivery the broker already sent; finish them all.
  {
    try {
      if (!connection_lost) {
        std::vector<std::uint8_t> stats;
        append_stats(stats);
        client->send_bytes(stats);
        for (;;) {
          std::optional<Frame> frame = client->read_frame(std::chrono::seconds(10));
          if (!frame || frame->header.type == FrameType::stats_ok) break;
          take(*frame);
        }
      }
    } catch (const ClientError& e) {
      lose_connection(e);
    }
  }
  while (!held.empty()) process_front();
  try {
    if (!connection_lost) client->stats();  // the last acks are in before the connection closes
  } catch (const ClientError& e) {
    lose_connection(e);
  }
  return 0;
}

}  // namespace qlab::live
