// Live mode subcommands: `qlab broker` (the Boost.Asio broker); the C++ protocol tools `qlab produce` /
// `qlab consume` (load and smoke-test clients of live/client.hpp); `qlab live` (a scenario run live on this
// machine) and its internal `qlab live-worker` processes.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "flag_checks.hpp"
#include "core/units.hpp"
#include "live/broker.hpp"
#include "live/agent.hpp"
#include "live/client.hpp"
#include "live/fault_proxy.hpp"
#include "live/live_run.hpp"
#include "live/live_worker.hpp"
#include "live/scenario_scaling.hpp"
#include "live/shared_secret.hpp"
#include "metrics/results_writer.hpp"
#include "metrics_table.hpp"
#include "workloads/scenario_loader.hpp"
#include "workloads/scenario_override.hpp"
#include "workloads/scenario_writer.hpp"

namespace qlab::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

[[noreturn]] void bad_input(const std::string& text) {
  std::fprintf(stderr, "qlab: %s\n", text.c_str());
  throw ExitCode{2};
}

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// The broker token: --token-file, else --token (visible in `ps`: kept for tests), else $QLAB_TOKEN.
std::string token_of(const std::string& flag, const std::string& file) {
  try {
    if (!file.empty()) return live::read_secret(file, live::kTokenVariable);
  } catch (const std::invalid_argument& e) {
    bad_input(std::string("--token-file ") + e.what());
  }
  return flag.empty() ? live::read_secret("", live::kTokenVariable) : flag;
}

struct BrokerOptions {
  std::string design = "visibility_timeout";
  std::vector<std::string> settings;
  std::string listen = "127.0.0.1:7700";
  std::string token;
  std::string token_file;
  std::string max_write_queue = "8MiB";
  std::size_t max_connections = 0;
  std::string max_queue_bytes;
  std::string handshake_timeout = "10s";
  std::string idle_timeout = "10m";
  std::uint64_t seed = 1;
  std::uint64_t first_message_id = 1;
  std::uint32_t incarnation = 0;
  std::string records;
};

void run_broker(const BrokerOptions& o) {
  live::BrokerConfig config;
  const DesignInfo* design = find_design(o.design);
  if (design == nullptr) bad_input("--design " + o.design + ": unknown design (qlab designs lists them)");
  config.design = o.design;
  try {
    for (const std::string& s : o.settings) live::apply_design_setting(*design, config.params, s);
    std::tie(config.address, config.port) = live::split_host_port(o.listen);
  } catch (const std::invalid_argument& e) {
    bad_input(e.what());
  }
  const auto size_flag = [](const char* flag, const std::string& text) -> std::size_t {
    try {
      const std::int64_t n = parse_size(text);
      if (n <= 0) bad_input(std::string(flag) + " " + text + ": must be above 0");
      return static_cast<std::size_t>(n);
    } catch (const UnitError& e) {
      bad_input(std::string(flag) + " " + text + ": " + e.what());
    }
  };
  const auto duration_flag = [](const char* flag, const std::string& text) -> Time {
    try {
      const Time t = parse_duration(text);
      if (t < 0) bad_input(std::string(flag) + " " + text + ": must be 0 (no limit) or more");
      return t;
    } catch (const UnitError& e) {
      bad_input(std::string(flag) + " " + text + ": " + e.what());
    }
  };
  config.max_write_queue = size_flag("--max-write-queue", o.max_write_queue);
  if (!o.max_queue_bytes.empty()) config.max_queue_bytes = size_flag("--max-queue-bytes", o.max_queue_bytes);
  config.max_connections = o.max_connections;
  config.handshake_timeout = duration_flag("--handshake-timeout", o.handshake_timeout);
  config.idle_timeout = duration_flag("--idle-timeout", o.idle_timeout);
  config.token = token_of(o.token, o.token_file);
  config.seed = o.seed;
  config.first_message_id = o.first_message_id;
  config.incarnation = o.incarnation;
  config.records = o.records;
  config.handle_signals = true;
  live::Broker broker(std::move(config));
  std::printf("listening on %s:%u\n", o.listen.substr(0, o.listen.rfind(':')).c_str(), broker.port());
  std::fflush(stdout);
  broker.run();
}

struct ProduceOptions {
  std::string connect = "127.0.0.1:7700";
  std::string token;
  std::string token_file;
  std::string name = "qlab-produce";
  std::uint64_t count = 1000;
  std::string size = "100B";
  std::uint32_t batch = 64;
  std::uint32_t window = 8;  // batches awaiting confirmation
};

// Payload "NAME-SEQ" padded with '.' to the requested size (never truncated).
std::string payload_for(const std::string& name, std::uint64_t seq, std::size_t size) {
  std::string text = name + "-" + std::to_string(seq);
  if (text.size() < size) text.resize(size, '.');
  return text;
}

void run_produce(const ProduceOptions& o) {
  std::size_t size = 0;
  try {
    size = static_cast<std::size_t>(parse_size(o.size));
  } catch (const UnitError& e) {
    bad_input("--size " + o.size + ": " + e.what());
  }
  const auto [host, port] = live::split_host_port(o.connect);
  live::Client client(host, port,
                      live::Hello{live::kProtocolVersion, live::Role::producer, o.name, token_of(o.token, o.token_file)});
  const auto start = SteadyClock::now();
  std::uint64_t sent = 0;
  std::uint64_t confirmed = 0;  // settled: accepted or not
  std::uint64_t refused = 0;
  std::map<std::string, std::uint64_t> refusals;  // by status name
  const std::uint64_t window = static_cast<std::uint64_t>(o.window) * o.batch;
  while (confirmed < o.count) {
    while (sent < o.count && sent - confirmed < window) {
      live::Publish batch;
      for (std::uint32_t i = 0; i < o.batch && sent < o.count; ++i, ++sent) {
        batch.messages.push_back({sent, sent, unix_now_ns(), payload_for(o.name, sent, size)});
      }
      client.send_publish(batch);
    }
    std::optional<live::Frame> frame = client.read_frame(std::chrono::seconds(30));
    if (!frame) throw std::runtime_error("timed out waiting for PUBLISH_OK");
    if (frame->header.type == live::FrameType::publish_ok) {
      for (const live::PublishConfirm& c : live::decode_publish_ok(frame->body).confirms) {
        ++confirmed;
        if (c.status == live::PublishStatus::accepted) continue;
        ++refused;
        ++refusals[std::string(live::publish_status_name(c.status))];
      }
    } else if (frame->header.type == live::FrameType::error) {
      const live::Error error = live::decode_error(frame->body);
      throw std::runtime_error("broker error " + std::string(live::error_code_name(error.code)) + ": " + error.text);
    }
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::string reasons;
  for (const auto& [status, n] : refusals) reasons += (reasons.empty() ? ": " : ", ") + status + " " + std::to_string(n);
  std::fprintf(stderr, "qlab produce: %llu messages confirmed (%llu refused%s) in %.3f s (%.0f msg/s)\n",
               static_cast<unsigned long long>(confirmed - refused), static_cast<unsigned long long>(refused),
               reasons.c_str(), seconds, static_cast<double>(confirmed) / seconds);
  if (refused > 0) throw ExitCode{1};
}

struct ConsumeOptions {
  std::string connect = "127.0.0.1:7700";
  std::string token;
  std::string token_file;
  std::string name;
  std::uint64_t count = 1000;
  std::uint32_t prefetch = 64;
  std::string idle_timeout = "10s";
  bool no_ack = false;
  bool print = false;
};

void run_consume(const ConsumeOptions& o) {
  Time idle = 0;
  try {
    idle = parse_duration(o.idle_timeout);
  } catch (const UnitError& e) {
    bad_input("--idle-timeout " + o.idle_timeout + ": " + e.what());
  }
  const auto [host, port] = live::split_host_port(o.connect);
  live::Client client(host, port,
                      live::Hello{live::kProtocolVersion, live::Role::consumer, o.name, token_of(o.token, o.token_file)});
  const auto start = SteadyClock::now();
  std::set<std::uint64_t> seen;
  std::uint64_t deliveries = 0;
  // Streaming credit: keep `prefetch` messages requested, topping up as acks free room.
  client.send_pull(live::Pull{o.prefetch, live::kWaitForever, false});
  std::vector<std::uint64_t> to_ack;
  while (seen.size() < o.count) {
    std::optional<live::Frame> frame =
        client.read_frame(std::chrono::milliseconds(idle / kMillisecond));
    if (!frame) {
      std::fprintf(stderr, "qlab consume: no delivery for %s; stopping with %zu of %llu messages\n",
                   o.idle_timeout.c_str(), seen.size(), static_cast<unsigned long long>(o.count));
      throw ExitCode{1};
    }
    if (frame->header.type == live::FrameType::error) {
      const live::Error error = live::decode_error(frame->body);
      if (error.fatal) throw std::runtime_error("broker error " + std::string(live::error_code_name(error.code)) + ": " + error.text);
      continue;
    }
    if (frame->header.type != live::FrameType::deliver) continue;
    const live::Deliver d = live::decode_deliver(frame->body);
    ++deliveries;
    if (seen.insert(d.message_id).second && o.print) std::printf("%s\n", d.payload.c_str());
    to_ack.push_back(d.receipt);
    // Ack and top up in batches so a frame carries many receipts.
    if (to_ack.size() >= std::max<std::uint32_t>(1, o.prefetch / 2) || seen.size() >= o.count) {
      if (!o.no_ack) client.ack(to_ack);
      client.send_pull(live::Pull{static_cast<std::uint32_t>(to_ack.size()), live::kWaitForever, false});
      to_ack.clear();
    }
  }
  std::fflush(stdout);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::fprintf(stderr, "qlab consume: %zu messages (%llu deliveries) in %.3f s (%.0f msg/s)\n", seen.size(),
               static_cast<unsigned long long>(deliveries), seconds, static_cast<double>(seen.size()) / seconds);
  // The last acks must reach the broker before the socket closes: a STATS round trip orders them.
  client.stats();
}

struct LiveArguments {
  std::string scenario;
  std::string out;
  std::vector<std::string> sets;
  std::optional<std::uint32_t> reps;
  std::optional<std::uint64_t> seed;
  double time_scale = 1;
  std::string work_dir;
  std::string hosts;
  std::string rate_probe;
  std::string rate_search_time = "30s";
  std::string rate_latency_bound;
  std::string backend = "qlab";
};

std::vector<workloads::Override> overrides_of(const std::vector<std::string>& sets) {
  std::vector<workloads::Override> overrides;
  for (const std::string& set : sets) overrides.push_back(workloads::parse_override(set));
  return overrides;
}

void run_live_command(const LiveArguments& args) {
  std::vector<std::string> sets = args.sets;
  if (args.reps) sets.push_back("repetitions=" + std::to_string(*args.reps));
  if (args.seed) sets.push_back("seed=" + std::to_string(*args.seed));
  const Scenario scenario = workloads::load_scenario_file(args.scenario, overrides_of(sets));
  try {
    live::check_live_support(scenario, args.backend);
  } catch (const std::invalid_argument& e) {
    bad_input(args.scenario + ": " + e.what());
  }
  if (!args.out.empty()) check_output_path(args.out, "--out", true);
  live::LiveOptions options;
  options.scenario_file = std::filesystem::absolute(args.scenario).string();
  options.sets = sets;
  options.time_scale = args.time_scale;
  options.qlab_binary = live::current_executable();
  options.hosts_file = args.hosts;
  options.backend = args.backend;
  const auto duration_option = [](const char* flag, const std::string& text) -> Time {
    if (text.empty()) return 0;
    try {
      const Time t = parse_duration(text);
      if (t <= 0) bad_input(std::string(flag) + " " + text + ": must be > 0");
      return t;
    } catch (const UnitError& e) {
      bad_input(std::string(flag) + " " + text + ": " + e.what());
    }
  };
  options.rate_probe = duration_option("--rate-probe", args.rate_probe);
  options.rate_search_time = duration_option("--rate-search-time", args.rate_search_time);
  options.rate_latency_bound = duration_option("--rate-latency-bound", args.rate_latency_bound);
  options.work_dir = !args.work_dir.empty() ? std::filesystem::path(args.work_dir)
                     : !args.out.empty()    ? std::filesystem::path(args.out) / "live-work"
                                            : std::filesystem::temp_directory_path() / ("qlab-live-" + std::to_string(::getpid()));
  options.log = [](const std::string& line) { std::fprintf(stderr, "qlab live: %s\n", line.c_str()); };
  // Without --out or --work-dir the records are scratch: removed however the run ends.
  struct Scratch {
    std::filesystem::path dir;
    ~Scratch() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } scratch{args.out.empty() && args.work_dir.empty() ? options.work_dir : std::filesystem::path()};
  std::vector<RunResult> runs;
  try {
    runs = live::run_live(scenario, options);
  } catch (const std::invalid_argument& e) {
    bad_input(e.what());
  }

  nlohmann::ordered_json resolved = workloads::scenario_to_json(scenario);
  nlohmann::ordered_json clocks = nlohmann::ordered_json::object();
  for (const live::ClockReport& c : live::last_clock_report()) {
    clocks[c.host] = {{"offset_seconds", to_seconds(c.offset)}, {"rtt_seconds", to_seconds(c.rtt)},
                      {"max_correction_seconds", to_seconds(c.max_correction)}};
  }
  // The `live` block: the scenario's own live settings (backend_options) and how this run went.
  nlohmann::ordered_json& live_block = resolved["live"];
  if (!live_block.is_object()) live_block = nlohmann::ordered_json::object();
  live_block["time_scale"] = args.time_scale;
  live_block["hosts"] = args.hosts.empty() ? std::string("local") : args.hosts;
  live_block["clock_offsets"] = clocks;
  live_block["backend"] = args.backend;
  live_block["backend_version"] = live::last_backend_version();
  if (!live_block.contains("backend_options")) live_block["backend_options"] = nlohmann::ordered_json::object();
  const live::RateSearch& search = live::last_rate_search();
  if (search.used) {
    nlohmann::ordered_json probes = nlohmann::ordered_json::array();
    for (const live::RateProbe& p : search.probes) {
      probes.push_back({{"rate_total", p.rate_total}, {"confirmation", p.confirmation}, {"sustained", p.sustained},
                        {"backlog", p.backlog},
                        {"latency_p99", p.latency_p99}, {"unique_processed", p.processed}});
    }
    // Rates in messages per second of scenario time, like the scenario's own.
    resolved["live"]["rate_search"] = {{"rate_found", format_rate(search.rate_per_producer)},
                                       {"rate_found_total", format_rate(search.rate_total)},
                                       {"producers", search.producers},
                                       {"limit_found", search.limit_found},
                                       {"confirmed", search.confirmed},
                                       {"probe_wall_seconds", to_seconds(search.probe)},
                                       {"latency_bound_seconds", to_seconds(search.latency_bound)},
                                       {"search_wall_seconds", search.wall_seconds},
                                       {"probes", probes}};
  }
  const RunInfo info{"live", scenario.name, scenario.queue.design, scenario.seed, resolved};
  const auto summary = summary_json(info, runs);
  if (!args.out.empty()) write_results(args.out, runs, summary);
  std::printf("scenario %s, design %s, live (%s, back end %s: %s), %u repetition%s, seed %llu, time scale %g\n",
              scenario.name.c_str(), scenario.queue.design.c_str(), args.hosts.empty() ? "local" : args.hosts.c_str(),
              args.backend.c_str(), live::last_backend_version().c_str(),
              scenario.repetitions,
              scenario.repetitions == 1 ? "" : "s", static_cast<unsigned long long>(scenario.seed), args.time_scale);
  if (search.used) {
    std::printf("rate found (rate: max): %s per producer, %s in total for %u producer%s%s\n",
                format_rate(search.rate_per_producer).c_str(), format_rate(search.rate_total).c_str(), search.producers,
                search.producers == 1 ? "" : "s", search.limit_found ? "" : " (a lower bound: every probe was sustained)");
  }
  std::printf("%s", format_metrics_table(summary.at("metrics"), summary.at("repetitions").get<std::size_t>()).c_str());
  if (!args.out.empty()) std::printf("results in %s\n", args.out.c_str());
  if (!summary.at("complete").get<bool>()) {
    for (const auto& why : summary.at("incomplete")) {
      std::fprintf(stderr, "qlab live: error: repetition %u ended early: %s (results marked \"complete\": false)\n",
                   why.at("repetition").get<unsigned>(), why.at("reason").get<std::string>().c_str());
    }
    throw ExitCode{1};
  }
}

struct WorkerArguments {
  std::string role;
  std::string scenario;
  std::vector<std::string> sets;
  double time_scale = 1;
  std::uint64_t seed = 1;
  std::string connect;
  std::string token;
  std::size_t group = 0;
  std::uint32_t index = 0;
  std::uint32_t incarnation = 0;
  std::int64_t start = 0;
  std::vector<std::string> outages;  // CRASHED:RESTARTED, scenario ns
  std::string records;
  std::string slow_file;
  std::string ready_file;
  std::string backend = "qlab";
};

// ADDR:PORT[,ADDR:PORT...]: a broker's nodes.
std::vector<std::pair<std::string, std::uint16_t>> host_ports(const std::string& text) {
  std::vector<std::pair<std::string, std::uint16_t>> nodes;
  for (std::size_t from = 0; from <= text.size();) {
    const std::size_t comma = std::min(text.find(',', from), text.size());
    nodes.push_back(live::split_host_port(text.substr(from, comma - from)));
    from = comma + 1;
  }
  return nodes;
}

void run_worker(const WorkerArguments& args) {
  const Scenario scenario = workloads::load_scenario_file(args.scenario, overrides_of(args.sets));
  live::WorkerTarget target{args.backend, {}, token_of(args.token, "")};
  for (const auto& [host, port] : host_ports(args.connect)) target.endpoints.push_back(live::Endpoint{host, port});
  int code = 0;
  if (args.role == "producer") {
    live::ProducerTask task{args.group, args.index, args.seed, args.start, args.time_scale, {}, target, args.records};
    for (const std::string& outage : args.outages) {
      const std::size_t colon = outage.find(':');
      task.outages.emplace_back(std::stoll(outage.substr(0, colon)), std::stoll(outage.substr(colon + 1)));
    }
    code = live::run_producer(scenario, task);
  } else {
    code = live::run_consumer(scenario, live::ConsumerTask{args.group, args.index, args.incarnation, args.seed,
                                                           args.time_scale, target, args.records, args.slow_file,
                                                           args.ready_file});
  }
  if (code != 0) throw ExitCode{code};
}

}  // namespace

void add_live_commands(CLI::App& app) {
  auto broker_options = std::make_shared<BrokerOptions>();
  auto* broker = app.add_subcommand("broker", "Run a live broker hosting one queue design (see docs/PROTOCOL.md)");
  broker->add_option("--design", broker_options->design, "queue design (qlab designs lists them)")->capture_default_str();
  broker->add_option("--set", broker_options->settings, "queue.KEY=VALUE: a design parameter (repeatable)");
  broker->add_option("--listen", broker_options->listen, "ADDR:PORT to listen on (port 0: ephemeral)")->capture_default_str();
  broker->add_option("--token-file", broker_options->token_file,
                     "a secret every client's HELLO must carry, read from this file (else $QLAB_TOKEN)");
  broker->add_option("--token", broker_options->token, "the token itself (visible in ps: prefer --token-file or $QLAB_TOKEN)");
  broker->add_option("--max-write-queue", broker_options->max_write_queue,
                     "unsent bytes after which a client that stopped reading is disconnected")->capture_default_str();
  broker->add_option("--max-connections", broker_options->max_connections,
                     "connections held at once; newer ones get ERROR too_many_connections (default: the fd limit less a reserve)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  broker->add_option("--max-queue-bytes", broker_options->max_queue_bytes,
                     "stored payloads (plus 160 B each) above which a publish is refused: queue_full (default: a quarter of RAM)");
  broker->add_option("--handshake-timeout", broker_options->handshake_timeout,
                     "close a connection whose HELLO did not come within this (0: never)")->capture_default_str();
  broker->add_option("--idle-timeout", broker_options->idle_timeout,
                     "close a producer or consumer with nothing in flight after this long without a frame (0: never)")
      ->capture_default_str();
  broker->add_option("--seed", broker_options->seed, "seed of the design's random choices")->capture_default_str()->check(seed_number());
  broker->add_option("--first-message-id", broker_options->first_message_id,
                     "message ids start here (a restarted broker continues above its predecessor's)")
      ->capture_default_str();
  broker->add_option("--incarnation", broker_options->incarnation,
                     "restarts before this broker (its design draws from the stream the simulator uses then)");
  broker->add_option("--records", broker_options->records,
                     "append a line per hand-over, loss and dead-letter to this file (qlab live)");
  broker->callback([broker_options] { run_broker(*broker_options); });

  auto produce_options = std::make_shared<ProduceOptions>();
  auto* produce = app.add_subcommand("produce", "Publish messages to a live broker (payload NAME-SEQ, padded)");
  produce->add_option("--connect", produce_options->connect, "broker ADDR:PORT")->capture_default_str();
  produce->add_option("--token-file", produce_options->token_file, "read the broker token from this file (else $QLAB_TOKEN)");
  produce->add_option("--token", produce_options->token, "broker token (visible in ps: prefer --token-file or $QLAB_TOKEN)");
  produce->add_option("--name", produce_options->name, "client name (payload prefix)")->capture_default_str();
  produce->add_option("--count", produce_options->count, "messages to publish")->capture_default_str();
  produce->add_option("--size", produce_options->size, "payload size")->capture_default_str();
  produce->add_option("--batch", produce_options->batch, "messages per PUBLISH frame")->capture_default_str()->check(CLI::Range(1, 10000));
  produce->add_option("--window", produce_options->window, "PUBLISH frames awaiting confirmation")->capture_default_str()->check(CLI::Range(1, 1024));
  produce->callback([produce_options] { run_produce(*produce_options); });

  auto consume_options = std::make_shared<ConsumeOptions>();
  auto* consume = app.add_subcommand("consume", "Consume (and ack) messages from a live broker");
  consume->add_option("--connect", consume_options->connect, "broker ADDR:PORT")->capture_default_str();
  consume->add_option("--token-file", consume_options->token_file, "read the broker token from this file (else $QLAB_TOKEN)");
  consume->add_option("--token", consume_options->token, "broker token (visible in ps: prefer --token-file or $QLAB_TOKEN)");
  consume->add_option("--name", consume_options->name, "consumer name (identifies it across reconnects)");
  consume->add_option("--count", consume_options->count, "distinct messages to consume before exiting")->capture_default_str();
  consume->add_option("--prefetch", consume_options->prefetch, "most unacked messages held")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  consume->add_option("--idle-timeout", consume_options->idle_timeout, "give up (exit 1) after this long without a delivery")->capture_default_str();
  consume->add_flag("--no-ack", consume_options->no_ack, "never ack (the messages are redelivered per the design)");
  consume->add_flag("--print", consume_options->print, "print each distinct payload on stdout");
  consume->callback([consume_options] { run_consume(*consume_options); });

  auto live_args = std::make_shared<LiveArguments>();
  auto* live_command = app.add_subcommand(
      "live", "Run a scenario live on this machine: a broker, producer and consumer processes, real faults");
  live_command->add_option("scenario", live_args->scenario, "Scenario YAML file")->required();
  live_command->add_option("--out,-o", live_args->out, "Write summary.json, timeseries.csv, ... (mode \"live\")");
  live_command->add_option("--set", live_args->sets, "Override a scenario key (repeatable)")->type_name("PATH=VALUE");
  live_command->add_option("--reps", live_args->reps, "Number of repetitions")->check(whole_number(1, 1000));
  live_command->add_option("--seed", live_args->seed, "Base seed")->check(seed_number());
  live_command->add_option("--time-scale", live_args->time_scale,
                           "Multiply every scenario duration by this (0.01: 100x faster); results are scaled back")
      ->capture_default_str();
  live_command->add_option("--work-dir", live_args->work_dir, "Where the processes' records and logs go");
  live_command->add_option("--hosts", live_args->hosts,
                           "HOSTS.yaml: which `qlab agent` runs the broker and each group (default: all local)");
  live_command->add_option("--backend", live_args->backend,
                           "The broker: qlab (its own, default), nats, redis, beanstalkd, rabbitmq (qlab backends)")
      ->capture_default_str();
  live_command->add_option("--rate-probe", live_args->rate_probe,
                           "rate: max: wall time each probe publishes (default 1s, or 200 mean service times)");
  live_command->add_option("--rate-search-time", live_args->rate_search_time,
                           "rate: max: wall time the search may take before settling")->capture_default_str();
  live_command->add_option("--rate-latency-bound", live_args->rate_latency_bound,
                           "rate: max: latency p99 a sustained probe stays under (scenario time; default: a tenth "
                           "of the probe); its backlog stays under rate x this");

  auto agent_config = std::make_shared<live::AgentConfig>();
  auto agent_listen = std::make_shared<std::string>("127.0.0.1:7800");
  auto agent_secret_file = std::make_shared<std::string>();
  auto* agent = app.add_subcommand("agent", "Run processes of multi-host live runs on this host for a coordinator");
  agent->add_option("--listen", *agent_listen, "ADDR:PORT to take orders on (port 0: ephemeral)")->capture_default_str();
  agent->add_option("--work-dir", agent_config->work_dir, "where run folders go (default: a temporary folder)");
  agent->add_option("--secret-file", *agent_secret_file,
                    "the secret shared with the coordinator (else $QLAB_SECRET); required unless --listen is loopback");
  agent->callback([agent_config, agent_listen, agent_secret_file] {
    live::AgentConfig config = *agent_config;
    try {
      std::tie(config.address, config.port) = live::split_host_port(*agent_listen);
      config.secret = live::read_secret(*agent_secret_file, live::kSecretVariable);
    } catch (const std::invalid_argument& e) {
      bad_input(e.what());
    }
    if (config.work_dir.empty()) {
      config.work_dir = (std::filesystem::temp_directory_path() / ("qlab-agent-" + std::to_string(::getpid()))).string();
    }
    config.binary = live::current_executable();
    config.on_listening = [address = config.address](std::uint16_t port) {
      std::printf("listening on %s:%u\n", address.c_str(), port);
      std::fflush(stdout);
    };
    config.log = [](const std::string& line) { std::fprintf(stderr, "qlab agent: %s\n", line.c_str()); };
    try {
      live::run_agent(config);
    } catch (const std::invalid_argument& e) {
      bad_input(e.what());
    }
  });
  live_command->callback([live_args] { run_live_command(*live_args); });

  auto proxy_config = std::make_shared<live::FaultProxyConfig>();
  auto proxy_upstream = std::make_shared<std::string>();
  auto* proxy = app.add_subcommand("fault-proxy", "A network-fault proxy in front of one client (internal)");
  proxy->group("");
  proxy->add_option("--listen", proxy_config->address);
  proxy->add_option("--upstream", *proxy_upstream)->required();
  proxy->add_option("--seed", proxy_config->seed);
  proxy->callback([proxy_config, proxy_upstream] {
    live::FaultProxyConfig config = *proxy_config;
    config.upstreams = host_ports(*proxy_upstream);  // one listening port per node, announced in this order
    config.on_listening = [address = config.address](const std::vector<std::uint16_t>& ports, std::uint16_t control) {
      std::string listening;
      for (std::uint16_t port : ports) listening += (listening.empty() ? "" : ",") + address + ":" + std::to_string(port);
      std::printf("listening on %s control %u\n", listening.c_str(), control);
      std::fflush(stdout);
    };
    live::run_fault_proxy(config);
  });

  auto worker_args = std::make_shared<WorkerArguments>();
  auto* worker = app.add_subcommand("live-worker", "A producer or consumer process of `qlab live` (internal)");
  worker->group("");  // hidden from --help
  worker->add_option("role", worker_args->role)->required()->check(CLI::IsMember({"producer", "consumer"}));
  worker->add_option("--scenario", worker_args->scenario)->required();
  worker->add_option("--set", worker_args->sets);
  worker->add_option("--time-scale", worker_args->time_scale);
  worker->add_option("--seed", worker_args->seed);
  worker->add_option("--connect", worker_args->connect)->required();
  worker->add_option("--token", worker_args->token);
  worker->add_option("--group", worker_args->group);
  worker->add_option("--index", worker_args->index);
  worker->add_option("--incarnation", worker_args->incarnation);
  worker->add_option("--start", worker_args->start);
  worker->add_option("--outage", worker_args->outages);
  worker->add_option("--records", worker_args->records)->required();
  worker->add_option("--slow-file", worker_args->slow_file);
  worker->add_option("--ready-file", worker_args->ready_file);
  worker->add_option("--backend", worker_args->backend);
  worker->callback([worker_args] { run_worker(*worker_args); });
}

}  // namespace qlab::cli
