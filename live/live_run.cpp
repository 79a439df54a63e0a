#include "live_run.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <yaml-cpp/yaml.h>

#include "core/fault_plan.hpp"
#include "core/member_name.hpp"
#include "core/random_stream.hpp"
#include "core/units.hpp"
#include "live/backends/backend_checks.hpp"
#include "live/backends/backend_registry.hpp"
#include "live/broker.hpp"
#include "live/child_process.hpp"
#include "live/client.hpp"
#include "live/live_results.hpp"
#include "live/fault_proxy.hpp"
#include "live/hosted_qlab_broker.hpp"
#include "live/json_lines.hpp"
#include "live/live_worker.hpp"
#include "live/process_host.hpp"
#include "live/scenario_scaling.hpp"
#include "live/shared_secret.hpp"
#include "queues/design_registry.hpp"

extern char** environ;

namespace qlab::live {
namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted.store(true); }

struct ConsumerProcess {
  std::size_t group = 0;
  std::uint32_t index = 0;
  std::string name;
  std::uint32_t incarnation = 0;
  std::unique_ptr<Process> process;
  bool stopped = false;  // SIGSTOPped
  std::vector<std::pair<Time, Time>> alive;
};

// A scheduled fault step, at a scenario time (ns, unscaled).
struct Step {
  Time at = 0;
  enum Kind { crash, restart, stall, resume, broker_crash, broker_restart, slow, unslow, producer_crash,
              producer_restart } kind = crash;
  std::size_t consumer = 0;  // crash/restart/stall/resume/slow/unslow
  std::size_t fault = 0;     // index into scenario.faults
  std::size_t producer = 0;  // producer_crash/producer_restart
  std::optional<std::uint32_t> node = std::nullopt;  // broker_crash/broker_restart: the node (none: the leader, resolved then)
  Time crashed_at = 0;       // producer_crash/producer_restart: when the producer crashed
  bool operator>(const Step& other) const { return at > other.at; }
};

// A client's fault proxy (network faults): the address its worker dials, and the proxy's control line.
struct ClientProxy {
  std::unique_ptr<Process> process;
  std::optional<JsonLineSocket> control;
  std::string connect;
};

// How long a back end's servers may take to start or restart (a RabbitMQ cluster takes tens of seconds).
constexpr Time kServerPatience = 90 * kSecond;

std::string g_backend_version;

// Confirmed messages not yet completed nor dead-lettered (delivered max_receives times), from the records.
std::uint64_t unfinished_confirmed(const LiveRecords& records, std::uint32_t max_receives) {
  std::unordered_set<std::uint64_t> open;
  for (const LiveRecords::Publish& p : records.publishes) {
    if (p.confirmed >= 0 && !p.refused) open.insert(p.message_id);
  }
  for (const LiveRecords::Completion& c : records.completions) open.erase(c.message_id);
  for (const LiveRecords::Delivery& d : records.deliveries) {
    if (max_receives > 0 && d.receive_count >= max_receives) open.erase(d.message_id);
  }
  return open.size();
}

// X records for the messages a real broker dead-lettered: delivered max_receives times, never completed.
// Returns how many.
std::uint64_t add_dead_letters(LiveRecords& records, std::uint32_t max_receives) {
  if (max_receives == 0) return 0;
  std::unordered_map<std::uint64_t, Time> exhausted;  // id -> its last delivery
  for (const LiveRecords::Delivery& d : records.deliveries) {
    if (d.receive_count >= max_receives) exhausted[d.message_id] = std::max(exhausted[d.message_id], d.delivered);
  }
  for (const LiveRecords::Completion& c : records.completions) exhausted.erase(c.message_id);
  for (const auto& [id, at] : exhausted) records.broker.push_back({'X', id, 0, at});
  return exhausted.size();
}

// `key` becomes null in the results, with `reason`.
void mark_unmeasured(RunResult& result, const std::string& key, const std::string& reason) {
  std::erase_if(result.metrics, [&](const auto& m) { return m.key == key; });
  std::erase_if(result.unmeasured, [&](const UnmeasuredMetric& u) { return u.key == key; });
  result.unmeasured.push_back({key, reason});
}

std::string format_seconds(Time t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3fs", to_seconds(t));
  return text;
}

// Which host runs what: the broker, each producer group, each consumer group.
struct Placement {
  Host* broker = nullptr;
  std::vector<Host*> brokers;    // a real broker's nodes: node i on brokers[i mod size]
  std::vector<Host*> producers;  // by group
  std::vector<Host*> consumers;  // by group
  std::vector<Host*> used;       // each host once
};

// One live run of `s` (already time-scaled) in the run folder `run`; `o.sets` reach the workers.
RunResult run_repetition(const Scenario& original, const Scenario& s, const LiveOptions& o, const Placement& placement,
                         const std::string& scenario_text, std::uint32_t repetition, const std::string& run) {
  const auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };
  const std::uint64_t seed = repetition_seed(original.seed, repetition);
  std::map<Host*, std::string> scenario_path;
  for (Host* h : placement.used) {
    h->prepare(run);
    scenario_path[h] = h->put(run, "scenario.yaml", scenario_text);
  }
  const std::filesystem::path dir = o.work_dir / run;  // where every host's records are gathered
  std::filesystem::create_directories(dir);
  const Time wall_start = monotonic_now();

  // The broker through its back end's launcher: qlab's broker on the placement host (with records, seed and
  // incarnation), or a real broker's servers on their placement hosts, data folders in the run's folder there.
  const Backend& backend = find_backend(o.backend);
  // qlab's broker admits only holders of this run's token; it reaches the broker and the workers through
  // their environment (QLAB_TOKEN), never a command line that `ps` shows.
  const std::string token = random_hex(16);
  const Environment token_env{{kTokenVariable, token}};
  const bool qlab = backend.name == "qlab";
  HostedQlabBroker* hosted = nullptr;
  std::unique_ptr<BrokerLauncher> launcher;
  if (qlab) {
    auto own = std::make_unique<HostedQlabBroker>(*placement.broker, run, seed, token);
    hosted = own.get();
    launcher = std::move(own);
  } else {
    launcher = backend.make_launcher();
  }
  struct StopBroker {
    BrokerLauncher& launcher;
    ~StopBroker() { launcher.stop_all(); }
  } stop_broker{*launcher};
  LaunchPlan launch;
  launch.hosts = placement.brokers;
  launch.run = run;
  // A replicated design runs one server per replica (as qlab's design has one node per replica).
  launch.nodes = qlab || s.queue.design != "replicated" ? 1 : static_cast<std::uint32_t>(int_param(s.queue, "replicas", 1));
  launch.bind_host = placement.broker->address();
  launch.queue = queue_for_run(s);
  launch.backend_options = backend_options_json(s);
  launch.qlab_binary = o.qlab_binary;
  launcher->start(launch, kServerPatience);
  g_backend_version = launcher->version();
  // qlab's broker answers STATS and CONTROL frames: connected consumers, what it holds, idle consumers, the
  // leader of a replicated design, node crashes inside the process.
  std::optional<Client> admin;
  const auto connect_admin = [&] {
    const Endpoint at = launcher->endpoints().front();
    admin.emplace(at.host, at.port, Hello{kProtocolVersion, Role::admin, "coordinator", token});
  };
  if (qlab) connect_admin();
  std::string endpoints;
  for (const Endpoint& e : launcher->endpoints()) endpoints += (endpoints.empty() ? "" : ",") + e.host + ":" + std::to_string(e.port);
  bool broker_up = true;  // false while a broker_crash fault keeps every node dead
  // A multi-node qlab design (replicated) crashes and restarts its nodes inside the broker, as the simulator
  // does; a single-node broker crashes with its process; a real broker's nodes are its server processes.
  const std::uint32_t broker_nodes = qlab ? admin->stats().value("nodes", 1u) : launcher->node_count();
  std::set<std::uint32_t> nodes_down;
  std::uint64_t stale_before = 0;
  std::map<std::string, double> idle_before;  // consumer -> idle_with_backlog seconds counted by crashed brokers
  std::vector<std::pair<Time, Time>> broker_down;
  std::vector<std::pair<Time, Time>> publish_drops;

  std::vector<std::string> common;
  for (const std::string& set : o.sets) {
    common.push_back("--set");
    common.push_back(set);
  }
  common.insert(common.end(), {"--time-scale", std::to_string(o.time_scale), "--seed", std::to_string(seed),
                               "--backend", backend.name});

  // Network faults need a fault proxy in front of every client, on the client's host.
  const bool network_faults = std::any_of(s.faults.begin(), s.faults.end(), [](const FaultSpec& f) {
    return f.action == FaultAction::partition || f.action == FaultAction::delay || f.action == FaultAction::drop;
  });
  const auto make_proxy = [&](Host* h, const std::string& name) {
    ClientProxy proxy;
    if (!network_faults) {
      proxy.connect = endpoints;
      return proxy;
    }
    // Each client's proxy draws its own random stream (drop decisions, delay samples), and has a port for each
    // of the broker's nodes: a client of a cluster is cut off from (or delayed to) all of them at once.
    const std::uint64_t proxy_seed = RandomStream::derive(seed, "live/fault-proxy/" + name).next_u64();
    proxy.process = h->spawn(run, {"fault-proxy", "--listen", h->address(), "--upstream", endpoints,
                                   "--seed", std::to_string(proxy_seed)}, "proxy-" + name + ".log", true);
    // "listening on ADDR:PORT[,ADDR:PORT...] control CPORT"
    const std::string& line = proxy.process->first_line();
    const std::size_t control_at = line.find(" control ");
    if (line.rfind("listening on ", 0) != 0 || control_at == std::string::npos) {
      throw std::runtime_error("the fault proxy of " + name + " did not start");
    }
    proxy.connect = line.substr(13, control_at - 13);
    proxy.control.emplace(JsonLineSocket::connect(h->address(), static_cast<std::uint16_t>(std::stoul(line.substr(control_at + 9)))));
    return proxy;
  };
  std::vector<ClientProxy> consumer_proxies;
  std::vector<ClientProxy> producer_proxies;

  std::vector<ConsumerProcess> consumers;
  for (std::size_t g = 0; g < s.consumers.size(); ++g) {
    for (std::uint32_t i = 0; i < s.consumers[g].count; ++i) {
      consumers.push_back({g, i, member_name(s.consumers[g].name, i), 0, nullptr, false, {}});
    }
  }
  for (const ConsumerProcess& c : consumers) consumer_proxies.push_back(make_proxy(placement.consumers[c.group], c.name));
  const auto start_consumer = [&](ConsumerProcess& c) {
    Host* h = placement.consumers[c.group];
    std::vector<std::string> argv = {"live-worker", "consumer", "--scenario", scenario_path[h]};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"--connect", consumer_proxies[static_cast<std::size_t>(&c - consumers.data())].connect});
    argv.insert(argv.end(), {"--group", std::to_string(c.group), "--index", std::to_string(c.index), "--incarnation",
                             std::to_string(c.incarnation), "--records", h->path(run, "consumer-" + c.name + ".csv"),
                             "--slow-file", h->path(run, "slow-" + c.name)});
    if (!qlab) argv.insert(argv.end(), {"--ready-file", h->path(run, "consumer-" + c.name + ".ready")});
    c.process = h->spawn(run, argv, "consumer-" + c.name + ".log", false, token_env);
    c.stopped = false;
  };
  for (ConsumerProcess& c : consumers) start_consumer(c);
  const Time ready_deadline = monotonic_now() + 30 * kSecond;
  // Before time 0 there is nothing to keep: a broker that dies now fails the run with a plain error. qlab's
  // broker counts its consumers; with a real broker each consumer says so in its ready file.
  const auto connected_consumers = [&]() -> std::size_t {
    if (!qlab) {
      std::size_t ready = 0;
      for (Host* h : placement.used) ready += h->fetch(run, ".ready").size();
      return ready;
    }
    try {
      return admin->stats()["consumers"].get<std::size_t>();
    } catch (const ClientError& e) {
      throw std::runtime_error(std::string("the broker died before the run started (") + e.what() + "; see " +
                               placement.broker->path(run, "broker.log") + ")");
    }
  };
  while (connected_consumers() < consumers.size()) {
    if (monotonic_now() > ready_deadline) throw std::runtime_error("consumers did not connect within 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  const Time start = monotonic_now() + 50 * kMillisecond;
  for (ConsumerProcess& c : consumers) c.alive.push_back({c.process->started(), kNever});
  struct ProducerProcess {
    std::size_t group = 0;
    std::uint32_t index = 0;
    std::string name;
    std::uint32_t incarnation = 0;
    bool crashed = false;  // killed by a fault (its exit code is ours, not a failure)
    std::unique_ptr<Process> process;
    std::vector<std::pair<Time, Time>> outages;  // scenario ns: (crashed, restarted) of earlier lives
  };
  std::vector<ProducerProcess> producers;
  // A restarted producer (incarnation > 0) replays its earlier lives' draws (`outages`, scenario ns) and
  // records into its own file.
  const auto start_producer = [&](ProducerProcess& p) {
    Host* h = placement.producers[p.group];
    const std::string file = "producer-" + p.name + (p.incarnation > 0 ? "." + std::to_string(p.incarnation) : "");
    std::vector<std::string> argv = {"live-worker", "producer", "--scenario", scenario_path[h]};
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), {"--connect", producer_proxies[static_cast<std::size_t>(&p - producers.data())].connect});
    // Time 0 in the producer host's own clock.
    argv.insert(argv.end(), {"--group", std::to_string(p.group), "--index", std::to_string(p.index), "--start",
                             std::to_string(start - h->offset()), "--records", h->path(run, file + ".csv")});
    for (const auto& [crashed, restarted] : p.outages) {
      argv.insert(argv.end(), {"--outage", std::to_string(crashed) + ":" + std::to_string(restarted)});
    }
    p.process = h->spawn(run, argv, file + ".log", false, token_env);
    p.crashed = false;
  };
  for (std::size_t g = 0; g < s.producers.size(); ++g) {
    for (std::uint32_t i = 0; i < s.producers[g].count; ++i) {
      producers.push_back({g, i, member_name(s.producers[g].name, i), 0, false, nullptr, {}});
      producer_proxies.push_back(make_proxy(placement.producers[g], producers.back().name));
    }
  }
  for (ProducerProcess& p : producers) start_producer(p);
  log(run + ": broker on " + endpoints + " (" + g_backend_version + "), " +
      std::to_string(consumers.size()) + " consumer and " + std::to_string(producers.size()) +
      " producer processes; records in " + dir.string());

  // The fault schedule: the simulator's own draws (core/fault_plan.hpp) on the unscaled scenario, so the
  // faults of repetition r fall at the same scenario times on the same targets as in `qlab run`. Steps and fault
  // windows are kept in scenario time (as planned); the processes are signalled within a loop turn (<= 5 ms of
  // real time) of them.
  FaultPlan plan(original, seed);
  const auto real_time = [&](Time scenario_time) {
    return start + static_cast<Time>(static_cast<double>(scenario_time) * o.time_scale);
  };

  std::vector<Step> steps;
  std::vector<FaultWindow> windows;
  const auto schedule = [&](Step step) {
    steps.push_back(step);
    std::push_heap(steps.begin(), steps.end(), std::greater<>());
  };
  std::vector<std::string> producer_names;
  for (const ProducerGroup& g : s.producers) {
    for (std::uint32_t i = 0; i < g.count; ++i) producer_names.push_back(g.name + "[" + std::to_string(i) + "]");
  }
  // Partition / delay / drop: orders to the fault proxies of the clients concerned; one window per occurrence.
  const auto apply_network_fault = [&](const FaultOccurrence& occurrence, Time at) {
    const FaultSpec& fault = s.faults[occurrence.fault];
    nlohmann::json order = {{"op", fault_action_name(fault.action)}, {"duration_ns", fault.duration}};
    if (fault.action == FaultAction::drop) {
      // The frames that carry a message on that hop: PUBLISH, DELIVER, ACK.
      order["frame"] = fault.hop == Hop::producer_to_broker   ? "publish"
                       : fault.hop == Hop::broker_to_consumer ? "deliver"
                                                              : "ack";
      order["p"] = fault.probability;
    }
    if (fault.action == FaultAction::delay) {
      order["up"] = fault.hop != Hop::broker_to_consumer;
      order["down"] = fault.hop == Hop::broker_to_consumer;
      order["extra"] = distribution_to_wire(fault.extra);
    }
    for (std::uint32_t m : occurrence.members) {
      ClientProxy& proxy = occurrence.on_producers ? producer_proxies.at(m) : consumer_proxies.at(m);
      proxy.control->call(order);
    }
    const Time end = at + original.faults[occurrence.fault].duration;
    windows.push_back({fault_action_name(fault.action), fault.target.text, at, end});
    if (fault.action == FaultAction::drop && fault.hop == Hop::producer_to_broker) {
      publish_drops.emplace_back(real_time(at), real_time(end));
    }
    log(std::string("fault: ") + fault_action_name(fault.action) + " " + fault.target.text + " at " + format_seconds(at));
  };
  // An occurrence of the plan becomes steps: network faults act at once, the others per member.
  const auto take_occurrence = [&](const FaultOccurrence& occurrence) {
    const Time at = occurrence.at;
    const FaultSpec& fault = s.faults[occurrence.fault];
    switch (fault.action) {
      case FaultAction::partition:
      case FaultAction::delay:
      case FaultAction::drop:
        apply_network_fault(occurrence, at);
        return;
      case FaultAction::broker_crash: {
        Step crash{at, Step::broker_crash, 0, occurrence.fault};
        if (!occurrence.members.empty()) crash.node = occurrence.members.front();
        schedule(crash);
        return;
      }
      case FaultAction::producer_crash:
        for (std::uint32_t m : occurrence.members) {
          Step crash{at, Step::producer_crash, 0, occurrence.fault};
          crash.producer = m;
          crash.crashed_at = occurrence.at;
          schedule(crash);
        }
        return;
      case FaultAction::crash:
      case FaultAction::stall:
      case FaultAction::slow: {
        const Step::Kind kind = fault.action == FaultAction::crash   ? Step::crash
                                : fault.action == FaultAction::stall ? Step::stall
                                                                     : Step::slow;
        for (std::uint32_t c : occurrence.members) schedule({at, kind, c, occurrence.fault});
        return;
      }
    }
  };

  // Every host's records, gathered here and moved onto the coordinator's clock (an agent's files are copied
  // into this run's folder first).
  const auto gather_records = [&] {
    LiveRecords gathered;
    for (Host* h : placement.used) {
      for (const auto& [file, content] : h->fetch(run, ".csv")) {
        std::filesystem::path local = dir / file;
        if (h->name() != "local") {
          local = dir / (h->name() + "." + file);
          std::ofstream(local) << content;
        }
        const ClockConversion clock = [h](Time t) { return h->to_coordinator(t); };
        if (file.starts_with("producer-")) read_producer_records(local.string(), gathered, clock);
        if (file.starts_with("consumer-")) read_consumer_records(local.string(), gathered, clock);
        if (file == "broker.csv") read_broker_records(local.string(), gathered, clock);
      }
    }
    return gathered;
  };
  const auto max_receives = static_cast<std::uint32_t>(int_param(s.queue, "max_receives", 0));
  Time next_drain_check = 0;
  const Time hard_end = start + s.duration.value_or(0) + s.drain_timeout;
  bool producers_done = false;
  // Agents' clocks drift from ours: their offsets are measured again every few seconds of a run, and records are
  // moved onto our clock by interpolating between the measurements.
  constexpr Time kClockCheck = 5 * kSecond;
  Time next_clock_check = monotonic_now() + kClockCheck;
  std::string unscheduled;  // why the run ended early, when something died that no fault killed
  bool timed_out = false;
  while (true) {
    if (g_interrupted.load()) throw std::runtime_error("interrupted");
    const Time now = monotonic_now();
    if (now >= next_clock_check) {
      for (Host* h : placement.used) h->remeasure_offset();
      next_clock_check = now + kClockCheck;
    }
    while (plan.next_time() != kNever && real_time(plan.next_time()) <= now) take_occurrence(*plan.next());
    while (!steps.empty() && real_time(steps.front().at) <= now) {
      std::pop_heap(steps.begin(), steps.end(), std::greater<>());
      const Step step = steps.back();
      steps.pop_back();
      const FaultSpec& fault = original.faults[step.fault];  // scenario time, as the steps
      switch (step.kind) {
        case Step::crash: {
          ConsumerProcess& c = consumers[step.consumer];
          if (!c.process || !c.process->running()) break;  // already down
          c.process->signal(SIGKILL);
          c.process->wait_for_exit(5 * kSecond);
          c.alive.back().second = now;
          c.stopped = false;
          const Time back = fault.restart_after ? step.at + *fault.restart_after : kNever;
          windows.push_back({"crash", c.name, step.at, back});
          log("fault: crash " + c.name + " at " + format_seconds(step.at));
          if (fault.restart_after) schedule({back, Step::restart, step.consumer, step.fault});
          break;
        }
        case Step::restart: {
          ConsumerProcess& c = consumers[step.consumer];
          if (c.process && c.process->running()) break;
          ++c.incarnation;
          start_consumer(c);
          c.alive.push_back({now, kNever});
          break;
        }
        case Step::stall: {
          ConsumerProcess& c = consumers[step.consumer];
          if (!c.process || !c.process->running() || c.stopped) break;
          c.process->signal(SIGSTOP);
          c.stopped = true;
          windows.push_back({"stall", c.name, step.at, step.at + fault.duration});
          log("fault: stall " + c.name + " at " + format_seconds(step.at));
          schedule({step.at + fault.duration, Step::resume, step.consumer, step.fault});
          break;
        }
        case Step::slow:
        case Step::unslow: {
          ConsumerProcess& c = consumers[step.consumer];
          const double factor = step.kind == Step::slow ? fault.factor : 1.0;
          placement.consumers[c.group]->put(run, "slow-" + c.name, std::to_string(factor) + "\n");
          if (c.process && c.process->running()) c.process->signal(SIGUSR1);
          if (step.kind == Step::slow) {
            windows.push_back({"slow", c.name, step.at, step.at + fault.duration});
            log("fault: slow " + c.name + " x" + std::to_string(factor) + " at " + format_seconds(step.at));
            schedule({step.at + fault.duration, Step::unslow, step.consumer, step.fault});
          }
          break;
        }
        case Step::producer_crash: {
          ProducerProcess& p = producers.at(step.producer);
          if (!p.process->running()) break;  // finished or already down
          p.process->signal(SIGKILL);
          p.process->wait_for_exit(5 * kSecond);
          p.crashed = true;
          const Time back = fault.restart_after ? step.at + *fault.restart_after : kNever;
          windows.push_back({"producer_crash", p.name, step.at, back});
          log("fault: producer_crash " + p.name + " at " + format_seconds(step.at));
          if (fault.restart_after) {
            Step restart{back, Step::producer_restart, 0, step.fault};
            restart.producer = step.producer;
            restart.crashed_at = step.crashed_at;
            schedule(restart);
          }
          break;
        }
        case Step::producer_restart: {
          ProducerProcess& p = producers.at(step.producer);
          ++p.incarnation;
          p.outages.emplace_back(step.crashed_at, step.at);
          start_producer(p);
          break;
        }
        case Step::broker_crash: {
          if (qlab && broker_nodes > 1) {
            std::uint32_t node = 0;
            try {
              node = step.node ? *step.node : admin->stats().value("leader", 0u);
              if (nodes_down.count(node) != 0) break;  // already down
              admin->control({{"op", "crash_node"}, {"node", node}});
            } catch (const ClientError&) {
              break;  // the broker itself died: found dead on the next turn
            }
            nodes_down.insert(node);
            const std::string name = "broker[" + std::to_string(node) + "]";
            const Time back = fault.restart_after ? step.at + *fault.restart_after : kNever;
            windows.push_back({"broker_crash", name, step.at, back});
            log("fault: broker_crash " + name + " at " + format_seconds(step.at));
            if (fault.restart_after) {
              Step restart{back, Step::broker_restart, 0, step.fault};
              restart.node = node;
              schedule(restart);
            }
            break;
          }
          if (qlab) {
            if (!hosted->process()->running()) break;
            try {
              const nlohmann::json last = admin->stats();  // what the dying broker counted
              stale_before += last.value("stale_refused", std::uint64_t{0});
              const nlohmann::json idle = last.value("idle_with_backlog", nlohmann::json::object());
              for (const auto& [name, seconds] : idle.items()) idle_before[name] += seconds.get<double>();
            } catch (const ClientError&) {
            }
            admin.reset();
          }
          // The nodes this fault kills: `leader` asks the back end which node leads now; `broker` is every node
          // of a real broker's cluster (node 0 of qlab's, as simulated); `broker[N]` is node N.
          std::vector<std::uint32_t> targets;
          if (fault.target.kind == FaultTarget::Kind::leader) {
            try {
              targets.push_back(launcher->leader());
            } catch (const std::runtime_error& e) {
              log("fault: broker_crash leader at " + format_seconds(step.at) + " found no leader: " + e.what());
              break;
            }
          } else if (!qlab && fault.target.text == "broker") {
            for (std::uint32_t n = 0; n < broker_nodes; ++n) targets.push_back(n);
          } else {
            targets.push_back(qlab ? 0 : step.node.value_or(0));  // a single-node qlab design: its process
          }
          const Time back = step.at + fault.restart_after.value_or(0);
          for (std::uint32_t node : targets) {
            if (nodes_down.count(node) != 0) continue;  // already down
            launcher->kill(node);
            nodes_down.insert(node);
            const std::string name = "broker[" + std::to_string(node) + "]";
            windows.push_back({"broker_crash", name, step.at, back});
            log("fault: broker_crash " + name + " at " + format_seconds(step.at));
            Step restart{back, Step::broker_restart, 0, step.fault};
            restart.node = node;
            schedule(restart);
          }
          if (broker_up && nodes_down.size() == broker_nodes) {  // nothing answers any more
            broker_up = false;
            broker_down.emplace_back(real_time(step.at), real_time(back));
          }
          break;
        }
        case Step::broker_restart: {
          if (qlab && broker_nodes > 1) {
            try {
              admin->control({{"op", "restart_node"}, {"node", *step.node}});
            } catch (const ClientError&) {
              break;  // the broker itself died: found dead on the next turn
            }
            nodes_down.erase(*step.node);
            break;
          }
          try {
            const Time asked = monotonic_now();
            launcher->restart(*step.node, kServerPatience);
            if (!qlab) {
              log("broker[" + std::to_string(*step.node) + "] restarted at " + format_seconds(step.at) + ", serving after " +
                  format_seconds(monotonic_now() - asked) + " (wall)");
            }
          } catch (const std::runtime_error& e) {
            unscheduled = "broker[" + std::to_string(*step.node) + "] did not restart: " + e.what();
            break;
          }
          nodes_down.erase(*step.node);
          if (qlab) connect_admin();
          broker_up = true;
          break;
        }
        case Step::resume: {
          ConsumerProcess& c = consumers[step.consumer];
          if (!c.stopped) break;
          c.process->signal(SIGCONT);
          c.stopped = false;
          break;
        }
      }
    }
    // An unscheduled death (the broker killed from outside, a worker that failed) ends the run at once: what
    // was recorded so far still becomes results, marked incomplete.
    const auto died = [&](const std::string& who, const Process& process, const std::string& log_file) {
      const int code = process.exit_code();
      unscheduled = who + (code > 128 ? " was killed by signal " + std::to_string(code - 128)
                                      : " exited with code " + std::to_string(code)) +
                    " at " + format_seconds(static_cast<Time>(static_cast<double>(now - start) / o.time_scale)) +
                    " of scenario time, unscheduled; see " + log_file;
    };
    if (qlab && broker_up && !hosted->process()->running()) {
      died("the broker", *hosted->process(), placement.broker->path(run, "broker.log"));
    }
    for (std::uint32_t n = 0; !qlab && unscheduled.empty() && n < broker_nodes; ++n) {
      if (nodes_down.count(n) == 0 && !launcher->alive(n)) {
        unscheduled = backend.name + " node " + std::to_string(n) + " died at " +
                      format_seconds(static_cast<Time>(static_cast<double>(now - start) / o.time_scale)) +
                      " of scenario time, unscheduled; see its log under " + launch.work_dir.string();
      }
    }
    if (!producers_done) {
      producers_done = true;
      for (ProducerProcess& p : producers) {
        if (p.process->running()) {
          producers_done = false;
        } else if (!p.crashed && p.process->exit_code() != 0 && unscheduled.empty()) {
          died("producer " + p.name, *p.process, placement.producers[p.group]->path(run, "producer-" + p.name + ".log"));
        }
      }
      if (std::any_of(steps.begin(), steps.end(), [](const Step& st) { return st.kind == Step::producer_restart; })) {
        producers_done = false;
      }
    }
    for (ConsumerProcess& c : consumers) {
      if (c.process && c.alive.back().second == kNever && !c.process->running()) {
        c.alive.back().second = c.process->ended();
        if (unscheduled.empty()) {
          died("consumer " + c.name, *c.process, placement.consumers[c.group]->path(run, "consumer-" + c.name + ".log"));
        }
      }
    }
    if (!unscheduled.empty()) {
      log("error: " + unscheduled + "; stopping the run");
      timed_out = true;
      break;
    }
    if (producers_done) {
      if (!s.drain) {
        if (now >= start + s.duration.value_or(0)) break;
      } else {
        // Drained: the broker holds nothing, and no stalled consumer still sits on messages it was handed.
        // A step already due has not run yet when a slow one (a real broker's restart) held up this turn.
        const Time turn_end = monotonic_now();
        const bool waiting = (plan.next_time() != kNever && real_time(plan.next_time()) <= turn_end) ||
                             std::any_of(steps.begin(), steps.end(), [&](const Step& st) {
                               return st.kind == Step::resume || st.kind == Step::broker_restart ||
                                      real_time(st.at) <= turn_end;
                             });
        // A broker that dies in the middle of this question is found dead on the next turn. A real broker:
        // drained when every confirmed message was completed (or dead-lettered), as the workers' records say,
        // or when it says its queue holds nothing (read every 200 ms at most).
        std::optional<std::uint64_t> held;
        try {
          if (!waiting && broker_up && qlab) held = admin->stats()["held"].get<std::uint64_t>();
        } catch (const ClientError&) {
        }
        if (!waiting && broker_up && !qlab && now >= next_drain_check) {
          held = unfinished_confirmed(gather_records(), max_receives);
          // Messages a broker lost never complete: it holding nothing (nothing waiting, nothing unacked) is
          // drained too.
          if (held != 0) held = launcher->held();
          next_drain_check = monotonic_now() + 200 * kMillisecond;
        }
        if (held == 0) break;
      }
    }
    if (now > hard_end) {
      timed_out = true;
      log("drain timeout: stopping with messages still held");
      break;
    }
    const Time next_step = steps.empty() ? now + 5 * kMillisecond : std::min(real_time(steps.front().at), now + 5 * kMillisecond);
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::max<Time>(0, next_step - monotonic_now())));
  }

  // Stop: stalled consumers resume, every consumer finishes what it holds and exits, then the broker.
  for (ProducerProcess& p : producers) {
    p.process->signal(SIGKILL);
    p.process->wait_for_exit(5 * kSecond);
  }
  for (ConsumerProcess& c : consumers) {
    if (c.stopped) c.process->signal(SIGCONT);
    if (c.process) c.process->signal(SIGTERM);
  }
  for (ConsumerProcess& c : consumers) {
    if (!c.process) continue;
    if (!c.process->wait_for_exit(timed_out ? 5 * kSecond : 60 * kSecond)) {
      c.process->signal(SIGKILL);
      c.process->wait_for_exit(5 * kSecond);
    }
    if (c.alive.back().second == kNever) c.alive.back().second = c.process->ended();
  }
  const Time end = monotonic_now();
  nlohmann::json stats = nlohmann::json::object();
  if (qlab && hosted->process()->running() && admin) {
    try {
      stats = admin->stats();
    } catch (const ClientError& e) {
      log(std::string("the broker's final stats are missing: ") + e.what());
    }
    admin.reset();
  }
  std::optional<std::uint64_t> dead_letters;
  std::optional<std::uint64_t> held_at_end;  // a real broker: what its queue still holds, where it can tell
  if (!qlab && broker_up) {
    try {
      dead_letters = launcher->dead_letters();
      held_at_end = launcher->held();
    } catch (const std::exception& e) {
      log(std::string("the back end did not say what it holds: ") + e.what());
    }
  }
  launcher->stop_all();
  const auto scenario_end = static_cast<Time>(static_cast<double>(end - start) / o.time_scale);
  for (FaultWindow& w : windows) w.end = std::min(w.end, scenario_end);

  // Scenario time 0 and the scale, for whoever reads the records (steady-clock ns) next to these files; the
  // back end that ran.
  std::ofstream(dir / "run.json") << nlohmann::json{{"start_ns", start},
                                                    {"time_scale", o.time_scale},
                                                    {"backend", backend.name},
                                                    {"backend_version", g_backend_version},
                                                    {"backend_options", launch.backend_options}}
                                         .dump()
                                  << "\n";
  LiveRecords records = gather_records();
  if (!qlab) {
    // A real broker writes no records: a message delivered max_receives times and never completed was
    // dead-lettered (at its last delivery), as the back end's own count can confirm.
    const std::uint64_t moved = add_dead_letters(records, max_receives);
    if (dead_letters && *dead_letters != moved) {
      log("dead letters: " + std::to_string(moved) + " from the records, " + std::to_string(*dead_letters) +
          " held by " + backend.name);
    }
  }
  LiveRunFacts facts;
  facts.start = start;
  facts.end = end;
  facts.time_scale = o.time_scale;
  facts.warmup = s.warmup;
  facts.metrics_interval = s.metrics_interval;
  for (const ConsumerProcess& c : consumers) facts.consumers.push_back({c.name, s.consumers[c.group].name, c.alive});
  facts.faults = windows;
  facts.broker_down = broker_down;
  facts.publish_drops = publish_drops;
  if (stats.contains("idle_with_backlog")) {
    for (const ConsumerProcess& c : consumers) {
      const double seconds = stats["idle_with_backlog"].value(c.name, 0.0) + idle_before[c.name];
      facts.idle_with_backlog.push_back(static_cast<Time>(seconds * static_cast<double>(kSecond)));
    }
  }
  facts.remaining = qlab ? stats.value("held", std::uint64_t{0}) : held_at_end.value_or(0);
  facts.stale_acks = stale_before + stats.value("stale_refused", std::uint64_t{0});
  facts.wall_seconds = to_seconds(monotonic_now() - wall_start);
  RunResult result = build_live_result(records, facts, repetition, seed);
  result.incomplete = unscheduled;
  if (!qlab) {
    const std::string why = backend.name + " keeps no such account (qlab's broker does)";
    mark_unmeasured(result, "idle_with_backlog", why);
    mark_unmeasured(result, "stale_acks", backend.name + " reports a stale receipt as a warning in the consumer's log");
    if (!held_at_end) {
      mark_unmeasured(result, "remaining", backend.name + " did not say what its queue still holds");
      if (timed_out) log("the run ended undrained: " + backend.name + " does not say what it still holds, so the "
                         "unfinished messages count as lost");
    }
  }
  // The drop fault: the frames the proxies dropped (PUBLISH, DELIVER, ACK), as the proxies counted them.
  if (std::any_of(s.faults.begin(), s.faults.end(), [](const FaultSpec& f) { return f.action == FaultAction::drop; })) {
    double dropped = 0;
    for (std::vector<ClientProxy>* proxies : {&producer_proxies, &consumer_proxies}) {
      for (ClientProxy& proxy : *proxies) {
        try {
          const nlohmann::json counts = proxy.control->call({{"op", "dropped"}});
          dropped += counts.value("publish", 0.0) + counts.value("deliver", 0.0) + counts.value("ack", 0.0);
        } catch (const std::exception& e) {
          log(std::string("a fault proxy did not report its drops: ") + e.what());
        }
      }
    }
    result.metrics.push_back({"dropped_frames", dropped});
  }
  for (std::vector<ClientProxy>* proxies : {&producer_proxies, &consumer_proxies}) {
    for (ClientProxy& proxy : *proxies) {
      if (proxy.process) proxy.process->signal(SIGTERM);  // it logs what it dropped
    }
  }
  for (std::vector<ClientProxy>* proxies : {&producer_proxies, &consumer_proxies}) {
    for (ClientProxy& proxy : *proxies) {
      if (proxy.process) proxy.process->wait_for_exit(2 * kSecond);
    }
  }
  return result;
}

// 3 significant digits: probe rates read well and format_rate() keeps them short.
double round_rate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", rate);
  return std::strtod(text, nullptr);
}

// The scenario (unscaled) with every `rate: max` producer at `total` / their number, and the --set
// overrides that tell the workers the same (they load the scenario file themselves).
std::pair<Scenario, std::vector<std::string>> at_rate(const Scenario& scenario, double total,
                                                      std::uint32_t max_producers) {
  Scenario out = scenario;
  std::vector<std::string> sets;
  for (std::size_t g = 0; g < out.producers.size(); ++g) {
    ProducerGroup& group = out.producers[g];
    if (!group.rate_max) continue;
    group.rate = total / max_producers;
    group.rate_max = false;
    sets.push_back("producers[" + std::to_string(g) + "].rate=" + format_rate(group.rate));
  }
  return {out, sets};
}

RateSearch g_rate_search;

constexpr int kConfirmationLength = 3;    // a confirming probe lasts this many search probes
constexpr int kConfirmationAttempts = 4;  // settled rate x 0.9^k, k < this

// The rate finder (as the OpenMessaging Benchmark's rate controller, but as a search): short probe runs
// without faults, each publishing at one rate for `probe` of wall time, then stopped without draining. A probe
// is sustained when the backlog left at its end is under rate x latency bound (Little's law: a bounded queue)
// and the end-to-end latency p99 is under the bound. From a guess (half the consumers' capacity, from their
// mean service times) the rate doubles while sustained (halves while not), then bisects between the last
// sustained and the first unsustained rate for up to 4 steps, within `rate_search_time`.
RateSearch find_rate(const Scenario& scenario, const LiveOptions& o, const Placement& placement,
                     const std::string& scenario_text) {
  const auto log = [&](const std::string& line) {
    if (o.log) o.log(line);
  };
  const double scale = o.time_scale;
  RateSearch r;
  r.used = true;
  double fixed_load = 0;  // scenario messages/s of the groups with a rate of their own
  for (const ProducerGroup& g : scenario.producers) {
    if (g.rate_max) {
      r.producers += g.count;
    } else {
      fixed_load += g.rate * g.count;
    }
  }
  double capacity = 0;  // scenario messages/s the consumers could process at best
  double slowest = 0;   // ns, the largest mean service time
  for (const ConsumerGroup& c : scenario.consumers) {
    const double mean = c.service.mean();
    slowest = std::max(slowest, mean);
    capacity = mean > 0 && capacity >= 0 ? capacity + c.count * static_cast<double>(kSecond) / mean : -1;
  }
  r.probe = o.rate_probe > 0 ? o.rate_probe : std::max<Time>(kSecond, static_cast<Time>(200 * slowest * scale));
  const Time probe_scenario = std::max<Time>(1, static_cast<Time>(static_cast<double>(r.probe) / scale));
  r.latency_bound = o.rate_latency_bound > 0 ? o.rate_latency_bound : probe_scenario / 10;
  r.backlog_bound_seconds = to_seconds(r.latency_bound);
  const double latency_bound = to_seconds(r.latency_bound);
  // A guess: half of what the consumers could do beside the fixed load; 1000/s of wall time without one.
  double rate = capacity > 0 ? std::max(capacity - fixed_load, 0.1 * capacity) / 2 : 1000 * scale;
  rate = round_rate(rate);
  log("rate finder: probes of " + format_duration(r.probe) + " (wall), latency bound " +
      format_duration(r.latency_bound) + ", search time " + format_duration(o.rate_search_time) + ", first guess " +
      format_rate(rate) + " in total for " + std::to_string(r.producers) + " producer(s)");

  // One probe: `probe_rate` in total for `window` of wall time, from an empty queue, stopped without draining.
  std::uint32_t probes_run = 0;
  const auto probe_at = [&](double probe_rate, Time window, bool confirmation) {
    const Time window_scenario = std::max<Time>(1, static_cast<Time>(static_cast<double>(window) / scale));
    auto [probe, sets] = at_rate(scenario, probe_rate, r.producers);
    probe.faults.clear();
    probe.duration = window_scenario;
    probe.drain = false;
    probe.warmup = 0;
    probe.warmup_auto = false;
    probe.metrics_interval.reset();
    probe.repetitions = 1;
    sets.insert(sets.end(), {"duration=" + format_duration(window_scenario), "drain=false", "warmup=0s", "faults=[]"});
    for (std::size_t g = 0; g < probe.producers.size(); ++g) {
      if (probe.producers[g].messages) {  // the probe's duration ends publishing
        probe.producers[g].messages.reset();
        sets.push_back("producers[" + std::to_string(g) + "].messages=1000000000000");
      }
    }
    LiveOptions po = o;
    po.sets.insert(po.sets.end(), sets.begin(), sets.end());
    const RunResult result = run_repetition(scenario, scale_scenario(probe, scale), po, placement, scenario_text, 0,
                                            "probe_rate-probe-" + std::to_string(probes_run++));
    RateProbe p;
    p.rate_total = probe_rate;
    p.confirmation = confirmation;
    p.backlog = result.metric("remaining").value_or(0);
    p.latency_p99 = result.metric("latency_p99").value_or(0);
    p.processed = result.metric("unique_processed").value_or(0);
    const double backlog_bound = std::max(1.0, (probe_rate + fixed_load) * latency_bound);
    p.sustained = p.processed > 0 && p.backlog <= backlog_bound && p.latency_p99 <= latency_bound;
    r.probes.push_back(p);
    char line[256];
    std::snprintf(line, sizeof line, "rate finder: %s%s in total: %s (backlog %.0f, bound %.0f; latency p99 %s)",
                  confirmation ? "confirming " : "", format_rate(probe_rate).c_str(),
                  p.sustained ? "sustained" : "not sustained", p.backlog, backlog_bound,
                  format_duration(static_cast<Time>(p.latency_p99 * kSecond)).c_str());
    log(line);
    return p.sustained;
  };

  const Time started = monotonic_now();
  const Time deadline = started + o.rate_search_time;
  double good = 0;  // highest sustained rate so far
  double bad = 0;   // lowest unsustained rate so far
  int bisections = 0;
  for (std::uint32_t k = 0;; ++k) {
    // A probe costs its window plus starting and stopping the processes (well under a second locally).
    if (k > 0 && monotonic_now() + r.probe + kSecond / 2 > deadline) {
      log("rate finder: search time used up");
      break;
    }
    if (probe_at(rate, r.probe, false)) {
      good = std::max(good, rate);
    } else {
      bad = bad > 0 ? std::min(bad, rate) : rate;
    }
    if (good > 0 && bad > 0) {
      if (bisections == 4 || bad <= good * 1.02) break;
      ++bisections;
      rate = round_rate((good + bad) / 2);
      if (rate <= good || rate >= bad) break;  // rounding left nothing between them
    } else if (good > 0) {
      rate = round_rate(rate * 2);
    } else {
      rate = round_rate(rate / 2);
      if (rate < 1e-6) break;
    }
  }
  // A short probe from an empty queue can miss a backlog that grows slowly: the settled rate must also hold
  // over a probe kConfirmationLength times longer, stepping down by a tenth until one does (a bounded number
  // of times, beyond the search time).
  for (int attempt = 0; good > 0 && attempt < kConfirmationAttempts; ++attempt) {
    if (probe_at(good, kConfirmationLength * r.probe, true)) {
      r.confirmed = true;
      break;
    }
    good = round_rate(good * 0.9);
  }
  r.wall_seconds = to_seconds(monotonic_now() - started);
  if (good == 0) {
    throw std::runtime_error("rate: max: no probe was sustained, down to " + format_rate(r.probes.back().rate_total) +
                             " (see the rate-probe folders in " + o.work_dir.string() +
                             "; a longer --rate-probe or --rate-latency-bound may help)");
  }
  r.limit_found = bad > 0;
  r.rate_total = good;
  r.rate_per_producer = good / r.producers;
  log("rate finder: settled on " + format_rate(r.rate_total) + " in total (" + format_rate(r.rate_per_producer) +
      " per producer" + (r.limit_found ? "" : "; every probe was sustained, so this is a lower bound") +
      (r.confirmed ? "; confirmed by a longer probe" : "; NOT confirmed by a longer probe") + ") after " +
      std::to_string(r.probes.size()) + " probes in " + format_seconds(static_cast<Time>(r.wall_seconds * kSecond)));
  return r;
}

}  // namespace

std::string current_executable() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

void check_live_support(const Scenario& scenario, const std::string& backend) {
  const Backend& b = find_backend(backend);
  b.check(scenario, backend_options_json(scenario));
  if (b.name != "qlab") refuse_drop_faults(b.name, scenario);
  for (const FaultSpec& f : scenario.faults) {
    if (f.action == FaultAction::broker_crash) {
      if (!f.restart_after) {
        throw std::invalid_argument("a live broker_crash needs restart_after (the run could never drain)");
      }
      continue;
    }
    if (f.action == FaultAction::partition || f.action == FaultAction::delay || f.action == FaultAction::drop) {
      continue;  // the fault proxies
    }
    if (f.action == FaultAction::producer_crash) continue;
    if (f.action != FaultAction::crash && f.action != FaultAction::stall && f.action != FaultAction::slow) {
      throw std::invalid_argument(std::string("fault action '") + fault_action_name(f.action) +
                                  "' is not supported by live mode yet (crash, stall, slow, broker_crash, partition, "
                                  "delay, drop and producer_crash are)");
    }
    const auto kind = f.target.kind;
    if (f.target.producers || kind == FaultTarget::Kind::broker || kind == FaultTarget::Kind::leader) {
      throw std::invalid_argument("fault target '" + f.target.text + "': live mode faults target consumers only");
    }
  }
  // Simulator-only keys: autoscaling, message keys and traced sizes, failing processing and poison messages
  // (live workers run a fixed count, draw sizes only, and do not fail on purpose).
  for (std::size_t g = 0; g < scenario.consumers.size(); ++g) {
    const ConsumerGroup& c = scenario.consumers[g];
    if (c.autoscale) {
      throw std::invalid_argument("consumers[" + std::to_string(g) + "].autoscale: autoscaling is simulator-only (live mode runs a fixed count)");
    }
    if (c.failure.p > 0) {
      throw std::invalid_argument("consumers[" + std::to_string(g) + "].failure is not supported by live mode yet");
    }
  }
  for (std::size_t g = 0; g < scenario.producers.size(); ++g) {
    const ProducerGroup& p = scenario.producers[g];
    if (p.keys || (p.trace && (!p.trace->keys.empty() || !p.trace->sizes.empty()))) {
      throw std::invalid_argument("producers[" + std::to_string(g) + (p.keys ? "].keys" : "].trace") +
                                  ": message keys and traced sizes are simulator-only (live producers draw size only)");
    }
    if (p.poison > 0) {
      throw std::invalid_argument("producers[" + std::to_string(g) + "].poison is not supported by live mode yet");
    }
  }
  const bool rate_max = std::any_of(scenario.producers.begin(), scenario.producers.end(),
                                    [](const ProducerGroup& p) { return p.rate_max; });
  for (const ProducerGroup& p : scenario.producers) {
    if (!p.messages && !scenario.duration) throw std::invalid_argument("producer group " + p.name + " never stops");
    if (rate_max && p.arrival == Arrival::batch) {
      throw std::invalid_argument("producer group " + p.name +
                                  ": a batch group cannot run beside rate: max (each rate probe would publish the "
                                  "batch again)");
    }
  }
}

namespace {

std::vector<ClockReport> g_clock_report;

// HOSTS.yaml:  agents: {NAME: ADDR:PORT, ...}   broker: NAME | [NAME, ...]   producers: {GROUP: NAME}
// consumers: {GROUP: NAME}. Anything not placed runs on this machine ("local"). A list spreads a real broker's
// nodes: node i on the (i mod length)-th host.
Placement load_placement(const std::string& file, const Scenario& s, const LiveOptions& o,
                         std::map<std::string, std::unique_ptr<Host>>& hosts) {
  YAML::Node root;
  if (!file.empty()) {
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::Exception& e) {
      throw std::invalid_argument(file + ": " + e.what());
    }
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key != "agents" && key != "broker" && key != "producers" && key != "consumers" && key != "local_address") {
        throw std::invalid_argument(file + ": unknown key '" + key +
                                    "' (expected agents, broker, producers, consumers, local_address)");
      }
    }
  }
  // `local_address`: where a broker placed on this machine listens, an address the agents' hosts can reach.
  const std::string local_address = root["local_address"] ? root["local_address"].as<std::string>() : "127.0.0.1";
  hosts["local"] = make_local_host(o.work_dir.string(), o.qlab_binary, local_address);
  Placement placement;
  placement.broker = hosts["local"].get();
  placement.producers.assign(s.producers.size(), hosts["local"].get());
  placement.consumers.assign(s.consumers.size(), hosts["local"].get());
  if (!file.empty()) {
    for (const auto& agent : root["agents"]) {
      const std::string name = agent.first.as<std::string>();
      if (name == "local") throw std::invalid_argument(file + ": agents.local: 'local' means this machine");
      const auto [host, port] = split_host_port(agent.second.as<std::string>());
      hosts[name] = make_agent_host(name, host, port);
    }
    const auto host_named = [&](const std::string& where, const std::string& name) {
      const auto it = hosts.find(name);
      if (it == hosts.end()) throw std::invalid_argument(file + ": " + where + ": no agent named '" + name + "'");
      return it->second.get();
    };
    if (const YAML::Node broker = root["broker"]; broker && broker.IsSequence()) {
      if (o.backend == "qlab" || broker.size() == 0) {
        throw std::invalid_argument(file + ": broker: a list places a real broker's nodes (" +
                                    (broker.size() == 0 ? std::string("an empty one places none") : "qlab's broker is one process: broker: NAME") + ")");
      }
      for (std::size_t i = 0; i < broker.size(); ++i) {
        placement.brokers.push_back(host_named("broker[" + std::to_string(i) + "]", broker[i].as<std::string>()));
      }
      placement.broker = placement.brokers.front();
    } else if (broker) {
      placement.broker = host_named("broker", broker.as<std::string>());
    }
    const auto place_groups = [&](const char* key, const auto& groups, std::vector<Host*>& out) {
      for (const auto& entry : root[key]) {
        const std::string group = entry.first.as<std::string>();
        std::size_t index = groups.size();
        for (std::size_t g = 0; g < groups.size(); ++g) {
          if (groups[g].name == group) index = g;
        }
        if (index == groups.size()) {
          throw std::invalid_argument(file + ": " + key + "." + group + ": the scenario has no such group");
        }
        out[index] = host_named(std::string(key) + "." + group, entry.second.as<std::string>());
      }
    };
    place_groups("producers", s.producers, placement.producers);
    place_groups("consumers", s.consumers, placement.consumers);
  }
  if (placement.brokers.empty()) placement.brokers = {placement.broker};
  const auto use = [&](Host* h) {
    if (std::find(placement.used.begin(), placement.used.end(), h) == placement.used.end()) placement.used.push_back(h);
  };
  for (Host* h : placement.brokers) use(h);
  for (Host* h : placement.producers) use(h);
  for (Host* h : placement.consumers) use(h);
  const bool remote_clients = std::any_of(placement.used.begin(), placement.used.end(), [](Host* h) { return h->name() != "local"; });
  const bool local_broker =
      std::any_of(placement.brokers.begin(), placement.brokers.end(), [](Host* h) { return h->name() == "local"; });
  if (local_broker && remote_clients && !root["local_address"]) {
    throw std::invalid_argument(file + ": the broker runs on this machine and clients on agents, which cannot reach "
                                "127.0.0.1 here: give local_address: ADDR (an address of this machine the agents reach)");
  }
  return placement;
}

}  // namespace

const std::vector<ClockReport>& last_clock_report() { return g_clock_report; }

const RateSearch& last_rate_search() { return g_rate_search; }

const std::string& last_backend_version() { return g_backend_version; }

std::vector<RunResult> run_live(const Scenario& scenario, const LiveOptions& options) {
  check_live_support(scenario, options.backend);
  if (!(options.time_scale > 0)) throw std::invalid_argument("--time-scale must be > 0");
  std::ifstream scenario_in(options.scenario_file);
  if (!scenario_in) throw std::invalid_argument(options.scenario_file + ": cannot open");
  const std::string scenario_text((std::istreambuf_iterator<char>(scenario_in)), std::istreambuf_iterator<char>());
  std::map<std::string, std::unique_ptr<Host>> hosts;
  const Placement placement = load_placement(options.hosts_file, scenario, options, hosts);
  g_clock_report.clear();
  for (const auto& [name, host] : hosts) {
    if (name == "local") continue;
    g_clock_report.push_back({name, host->offset(), host->rtt(), 0});
    if (options.log) {
      options.log("agent " + name + " at " + host->address() + ": clock offset " + format_duration(host->offset()) +
                  " (round trip " + format_duration(host->rtt()) + ")");
    }
  }
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  struct sigaction old_int {};
  struct sigaction old_term {};
  ::sigaction(SIGINT, &action, &old_int);
  ::sigaction(SIGTERM, &action, &old_term);
  std::vector<RunResult> runs;
  g_rate_search = RateSearch{};
  try {
    Scenario measured = scenario;
    LiveOptions measured_options = options;
    if (std::any_of(scenario.producers.begin(), scenario.producers.end(), [](const ProducerGroup& p) { return p.rate_max; })) {
      g_rate_search = find_rate(scenario, options, placement, scenario_text);
      auto [at, sets] = at_rate(scenario, g_rate_search.rate_total, g_rate_search.producers);
      measured = at;
      measured_options.sets.insert(measured_options.sets.end(), sets.begin(), sets.end());
    }
    const Scenario scaled = scale_scenario(measured, options.time_scale);
    for (std::uint32_t r = 0; r < scenario.repetitions; ++r) {
      runs.push_back(run_repetition(scenario, scaled, measured_options, placement, scenario_text, r,
                                    "rep-" + std::to_string(r)));
      if (!runs.back().incomplete.empty()) break;  // the results so far are written, marked incomplete
      if (g_rate_search.used) {
        runs.back().metrics.push_back({"rate_found", g_rate_search.rate_per_producer});
        runs.back().metrics.push_back({"rate_found_total", g_rate_search.rate_total});
      }
    }
  } catch (...) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    throw;
  }
  for (ClockReport& report : g_clock_report) report.max_correction = hosts.at(report.host)->max_correction();
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return runs;
}

}  // namespace qlab::live
