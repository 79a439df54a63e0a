// qlab_live_bench: the live benchmark across back ends, open loop in the style of the OpenMessaging
// Benchmark. For each back end setting (qlab's broker; Redis Streams, beanstalkd and NATS JetStream, each
// in memory and with its durability on; RabbitMQ's durable classic and quorum queues) it starts a private
// server through the back end's launcher, then runs a sweep of offered rates (default 1k, 5k, 20k, 50k,
// 100k msg/s) and searches the maximum sustainable rate (doubling, then bisection to within 10%). Every
// step goes through the same BrokerClient code path (open_loop_load): 100-byte messages, each acked
// individually as soon as it arrives, the same in-flight limit for every system, latency from the intended
// send time (p50, p99, p99.9). Batching happens only where a client does it by itself; the output says
// where. A setting whose server or client fails is reported with its error, and the others still run.
// Writes JSON (analysis/plot_live_bench.py draws latency against achieved throughput from it), CSV and a
// Markdown summary. scripts/live_bench.sh builds and runs it.
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/open_loop_load.hpp"
#include "live/backends/backend_registry.hpp"
#include "metrics/results_writer.hpp"
#include "queues/design_registry.hpp"

namespace qlab::bench {
namespace {

struct Setting {
  std::string label;
  std::string backend;
  nlohmann::json options;
  std::string durability;
  std::string batching;  // what the client batches by itself
};

const std::vector<Setting>& settings() {
  const std::string redis = "XADD per message and one EVALSHA per ack (receipt check + XACK + XDEL), pipelined; "
                            "consumer reads with XREADGROUP COUNT = open credit";
  const std::string beanstalkd = "put per message, pipelined; per delivery reserve + stats-job (receive count) + "
                                 "delete, pipelined while jobs keep coming";
  const std::string nats = "HPUB per message with a JetStream PubAck each (every message due at once in one write); "
                           "one +ACK per message, sent at once; pull requests ask for the open credit (at most 2 open)";
  const std::string rabbitmq = "basic.publish per message on a confirm channel (the broker may confirm several at "
                               "once); one basic.ack per message; consumer prefetch = the in-flight limit";
  static const std::vector<Setting> all = {
      {"qlab", "qlab", nlohmann::json::object(), "in memory",
       "one PUBLISH frame carries every message due at once (only when the producer is behind); one ACK frame per message"},
      {"redis", "redis", {{"appendonly", false}}, "in memory (no AOF, no RDB)", redis},
      {"redis-aof", "redis", {{"appendfsync", "everysec"}}, "AOF, appendfsync everysec", redis},
      {"beanstalkd", "beanstalkd", {{"binlog", false}}, "in memory (no binlog)", beanstalkd},
      {"beanstalkd-binlog", "beanstalkd", {{"binlog", true}}, "binlog, fsync at most every 50 ms", beanstalkd},
      {"nats-memory", "nats", {{"storage", "memory"}}, "JetStream memory storage (lost with the server)", nats},
      {"nats-file", "nats", {{"storage", "file"}}, "JetStream file storage (server default: no fsync per message)",
       nats},
      {"rabbitmq-classic", "rabbitmq", {{"queue_type", "classic"}},
       "durable classic queue, persistent messages (RabbitMQ has no transient option here)", rabbitmq},
      {"rabbitmq-quorum", "rabbitmq", {{"queue_type", "quorum"}}, "quorum queue of 1 (Raft log on disk)", rabbitmq},
  };
  return all;
}

// visibility_timeout with a timeout far beyond any step; beanstalkd can only express release on disconnect.
QueueSpec bench_queue(const std::string& backend) {
  const DesignInfo& design = *find_design("visibility_timeout");
  return QueueSpec{design.name, with_defaults(design, {{"visibility_timeout", 30 * kSecond},
                                                       {"release_on_disconnect", backend == "beanstalkd"}})};
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  in >> one;
  return in ? one : "?";
}

double micros(std::int64_t ns) { return static_cast<double>(ns) / 1e3; }

nlohmann::json step_json(const StepResult& s, bool search) {
  return {{"offered", s.offered},
          {"achieved", s.achieved},
          {"p50_us", micros(s.latency.percentile(0.5))},
          {"p99_us", micros(s.latency.percentile(0.99))},
          {"p999_us", micros(s.latency.percentile(0.999))},
          {"max_us", micros(s.latency.max())},
          {"measured", s.measured},
          {"undelivered", s.undelivered},
          {"redeliveries", s.redeliveries},
          {"published", s.published},
          {"publish_calls", s.publish_calls},
          {"sustained", s.sustained},
          {"search", search}};
}

struct Options {
  std::vector<std::string> systems;
  std::vector<double> rates = {1000, 5000, 20000, 50000, 100000};
  LoadShape shape;
  double measure_s = 5;
  double probe_s = 3;
  double max_rate = 2e6;
  std::string json_file = "live_bench.json";
  std::string csv_file;
  std::string markdown_file;
  std::string work_dir = "/tmp";
  std::string qlab_binary;
};

// Runs one setting: its sweep, then the search for the maximum sustainable rate.
nlohmann::json run_setting(const Setting& setting, const Options& o) {
  const live::Backend& backend = live::find_backend(setting.backend);
  Scenario scenario;
  scenario.queue = bench_queue(setting.backend);
  backend.check(scenario, setting.options);
  std::unique_ptr<live::BrokerLauncher> launcher = backend.make_launcher();
  struct Stop {
    live::BrokerLauncher& l;
    ~Stop() { l.stop_all(); }
  } stop{*launcher};
  live::LaunchPlan plan;
  plan.work_dir = std::filesystem::path(o.work_dir) / ("qlab-live-bench-" + std::to_string(::getpid())) / setting.label;
  plan.queue = scenario.queue;
  plan.backend_options = setting.options;
  plan.qlab_binary = o.qlab_binary;
  launcher->start(plan, 60 * kSecond);  // a RabbitMQ node takes 7-15 s to start here, more under load
  live::ClientConfig base;
  base.endpoints = launcher->endpoints();
  base.queue = scenario.queue;
  base.backend_options = setting.options;
  base.consumer_count = 1;

  nlohmann::json steps = nlohmann::json::array();
  std::map<double, bool> sustained;  // offered rate -> sustained
  nlohmann::json best;               // the step at the highest sustained rate
  std::uint64_t next_id = 1;  // every step its own message ids (JetStream deduplicates them)
  const auto step = [&](double rate, Time measure, bool search) {
    LoadShape shape = o.shape;
    shape.rate = rate;
    shape.measure = measure;
    shape.first_id = next_id;
    const StepResult r = run_open_loop(backend, base, shape);
    next_id += r.published;
    std::fprintf(stderr, "live_bench: %-18s offered %9.0f achieved %9.0f msg/s  p50 %8.0f us  p99 %9.0f us  p99.9 %9.0f us%s\n",
                 setting.label.c_str(), rate, r.achieved, micros(r.latency.percentile(0.5)), micros(r.latency.percentile(0.99)),
                 micros(r.latency.percentile(0.999)), r.sustained ? "" : "  (not sustained)");
    steps.push_back(step_json(r, search));
    sustained[rate] = r.sustained;
    if (r.sustained && (best.is_null() || rate > best["offered"].get<double>())) best = steps.back();
    return r.sustained;
  };
  const auto measure = static_cast<Time>(o.measure_s * 1e9);
  for (double rate : o.rates) step(rate, measure, false);

  // The maximum sustainable rate. On a shared machine one scheduling stall can sink a step, so a rate counts
  // as unsustainable only when a probe at it fails twice (a failed sweep step is probed again first). Then:
  // double past the sweep while sustained, and bisect (geometric mean) until the bounds are within 10%.
  const auto probe_time = static_cast<Time>(o.probe_s * 1e9);
  const auto probe = [&](double rate) { return step(rate, probe_time, true) || step(rate, probe_time, true); };
  double lo = 0;
  double hi = 0;
  const std::map<double, bool> sweep = sustained;
  for (const auto& [rate, ok] : sweep) {
    if (hi == 0 && (ok || probe(rate))) {
      lo = rate;
    } else if (hi == 0) {
      hi = rate;
    }
  }
  while (hi == 0 && lo > 0 && lo * 2 <= o.max_rate) {
    if (probe(lo * 2)) {
      lo *= 2;
    } else {
      hi = lo * 2;
    }
  }
  while (lo > 0 && hi > lo * 1.1) {
    const double mid = std::round(std::sqrt(lo * hi) / 100) * 100;
    (probe(mid) ? lo : hi) = mid;
  }
  return {{"label", setting.label},      {"backend", setting.backend}, {"version", launcher->version()},
          {"load_average_after", load_average()},
          {"options", setting.options},  {"durability", setting.durability}, {"batching", setting.batching},
          {"max_sustainable", lo},       {"at_max", best},               {"steps", steps}};
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string markdown(const nlohmann::json& report) {
  std::ostringstream out;
  out << report["setup"].get<std::string>() << ". Load average (1 min) before: " << report["load_average_before"].get<std::string>()
      << ", after each system: ";
  for (const nlohmann::json& s : report["settings"]) out << s["load_average_after"].get<std::string>() << " ";
  out << "\n\n";
  out << "| system | durability | max sustainable msg/s | p50 / p99 / p99.9 at 5k msg/s | p50 / p99 / p99.9 at the max |\n";
  out << "|---|---|---:|---:|---:|\n";
  char text[256];
  const auto lat = [&](const nlohmann::json& s) {
    if (s.is_null()) return std::string("-");
    std::snprintf(text, sizeof text, "%.0f / %.0f / %.0f us", s["p50_us"].get<double>(), s["p99_us"].get<double>(),
                  s["p999_us"].get<double>());
    return std::string(text);
  };
  for (const nlohmann::json& s : report["settings"]) {
    nlohmann::json at5k;
    for (const nlohmann::json& st : s["steps"]) {
      if (st["offered"].get<double>() == 5000 && !st["search"].get<bool>()) at5k = st;
    }
    std::snprintf(text, sizeof text, "| %s (%s) | %s | %.0f | ", s["label"].get<std::string>().c_str(),
                  s["version"].get<std::string>().c_str(), s["durability"].get<std::string>().c_str(),
                  s["max_sustainable"].get<double>());
    out << text << lat(at5k) << " | " << (s.contains("error") ? "failed: " + s["error"].get<std::string>() : lat(s["at_max"]))
        << " |\n";
  }
  out << "\n";
  for (const nlohmann::json& s : report["settings"]) {
    out << "- " << s["label"].get<std::string>() << ": " << s["batching"].get<std::string>() << "\n";
  }
  return out.str();
}

// One CSV row per step of every setting.
std::string csv(const nlohmann::json& report) {
  std::ostringstream out;
  out << "system,backend,durability,offered,achieved,p50_us,p99_us,p999_us,max_us,undelivered,redeliveries,sustained,search\n";
  for (const nlohmann::json& s : report["settings"]) {
    for (const nlohmann::json& st : s["steps"]) {
      out << s["label"].get<std::string>() << "," << s["backend"].get<std::string>() << ",\"" << s["durability"].get<std::string>()
          << "\"," << st["offered"] << "," << st["achieved"] << "," << st["p50_us"] << "," << st["p99_us"] << ","
          << st["p999_us"] << "," << st["max_us"] << "," << st["undelivered"] << "," << st["redeliveries"] << ","
          << st["sustained"] << "," << st["search"] << "\n";
    }
  }
  return out.str();
}

int main_impl(int argc, char** argv) {
  CLI::App app{"Live benchmark: every back end through the same open-loop client code (start: scripts/live_bench.sh)"};
  Options o;
  std::vector<std::string> labels;
  for (const Setting& s : settings()) labels.push_back(s.label);
  o.systems = labels;
  app.add_option("--systems", o.systems, "back end settings to run")->delimiter(',')->check(CLI::IsMember(labels))->capture_default_str();
  app.add_option("--rates", o.rates, "offered rates of the sweep, msg/s")->delimiter(',')->check(CLI::Range(1.0, 1e8))->capture_default_str();
  app.add_option("--measure", o.measure_s, "measured seconds per sweep step")->check(CLI::Range(0.5, 600.0))->capture_default_str();
  app.add_option("--probe", o.probe_s, "measured seconds per rate-search probe")->check(CLI::Range(0.5, 600.0))->capture_default_str();
  app.add_option("--max-rate", o.max_rate, "the rate search stops here")->capture_default_str();
  app.add_option("--window", o.shape.window, "published but not yet acked, at most (every system)")->check(CLI::Range(1, 1000000))->capture_default_str();
  double bound_ms = 100;
  app.add_option("--latency-bound", bound_ms, "ms: a step is sustained only with its p99 latency under this")
      ->check(CLI::Range(0.1, 1e6))->capture_default_str();
  app.add_option("--size", o.shape.size, "payload bytes")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  app.add_option("--json", o.json_file, "results (every step)")->capture_default_str();
  app.add_option("--csv", o.csv_file, "also one CSV row per step");
  app.add_option("--markdown", o.markdown_file, "also the summary table");
  app.add_option("--work-dir", o.work_dir, "the servers' data folders go below this")->capture_default_str();
  app.add_option("--qlab", o.qlab_binary, "the qlab executable (for `qlab broker`)")->required();
  CLI11_PARSE(app, argc, argv);
  o.shape.latency_bound = static_cast<Time>(bound_ms * 1e6);

  utsname u{};
  ::uname(&u);
  char date[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&t));
  char setup[512];
  std::snprintf(setup, sizeof setup,
                "%s, %s, %u cores (%s %s); loopback; %zu-byte messages, each acked individually on arrival, at most %u "
                "in flight; open loop at constant rates, %g s warm-up + %g s measured per sweep step (%g s per search "
                "probe); latency from the intended send time; sustained = at least 95%% of the offered rate acked, "
                "p99 under %g ms",
                date, cpu_model().c_str(), std::thread::hardware_concurrency(), u.sysname, u.release, o.shape.size,
                o.shape.window, to_seconds(o.shape.warmup), o.measure_s, o.probe_s, bound_ms);
  nlohmann::json report = {{"setup", setup}, {"load_average_before", load_average()}, {"settings", nlohmann::json::array()}};
  try {
    for (const Setting& s : settings()) {
      if (std::find(o.systems.begin(), o.systems.end(), s.label) == o.systems.end()) continue;
      try {
        report["settings"].push_back(run_setting(s, o));
      } catch (const std::exception& e) {
        // A back end that fails is a result (its row says why); the other settings still run.
        std::fprintf(stderr, "live_bench: %s failed: %s\n", s.label.c_str(), e.what());
        report["settings"].push_back({{"label", s.label}, {"backend", s.backend}, {"version", "?"},
                                      {"load_average_after", load_average()}, {"options", s.options},
                                      {"durability", s.durability}, {"batching", s.batching}, {"max_sustainable", 0},
                                      {"at_max", nullptr}, {"steps", nlohmann::json::array()}, {"error", e.what()}});
      }
    }
    // Every file is written aside and renamed: an interrupted run leaves none half-written.
    write_file_atomically(o.json_file, report.dump(2) + "\n");
    if (!o.csv_file.empty()) write_file_atomically(o.csv_file, csv(report));
    const std::string table = markdown(report);
    std::fputs(table.c_str(), stdout);
    if (!o.markdown_file.empty()) write_file_atomically(o.markdown_file, table);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qlab_live_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace qlab::bench

int main(int argc, char** argv) { return qlab::bench::main_impl(argc, argv); }
