// `qlab calibrate`: measures the live qlab broker on this machine and writes the `broker:` block that makes
// the simulator predict the same saturation throughput (docs/CALIBRATE.md).
//
// For each calibration size the live rate finder (`rate: max`, docs/LIVE.md) finds the highest rate the live
// pull design sustains with one producer and one consumer that does no work. In the simulated pull design a
// message costs the broker a publish and a delivery (per_message + per_byte x size each) and the consumer's
// ack/pull reply (per_message): a single-threaded broker saturates at 1 / (3 per_message + 2 per_byte size).
// Two sizes give the two costs; the simulator's own rate finder (sim/saturation_rate.hpp, the live finder's
// criterion) then corrects them once for the finder's margin, and every size is reported live against sim.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "commands.hpp"
#include "core/units.hpp"
#include "flag_checks.hpp"
#include "live/live_run.hpp"
#include "sim/saturation_rate.hpp"
#include "workloads/cost_units.hpp"
#include "workloads/scenario_error.hpp"
#include "workloads/scenario_loader.hpp"

namespace qlab::cli {
namespace {

struct CalibrateArguments {
  std::vector<std::string> sizes{"100B", "64KiB"};
  std::vector<std::string> check;  // sizes measured and compared, not fitted
  std::string search_time = "20s";
  std::uint32_t repeat = 3;  // live searches per size; their median is used
  std::string out;
  std::string work_dir;
};

// One producer at `rate: max`, one consumer with no work and a prefetch of 10, pull design.
std::string calibration_scenario(const std::string& size) {
  return "name: calibrate\nduration: 2s\nqueue: {design: pull}\n"
         "producers: [{name: p, rate: max, size: " + size + "}]\n"
         "consumers: [{name: c, count: 1, service: 0s, prefetch: 10}]\n";
}

// Messages per second a single-threaded pull broker with `broker`'s cost processes at most.
double capacity(const BrokerSpec& broker, double size) {
  return 1e9 / (3 * static_cast<double>(broker.per_message) + 2 * broker.per_byte * size);
}

// The costs whose capacities at sizes a < b are rate_a and rate_b (clamped at zero per byte).
BrokerSpec fit(double a, double rate_a, double b, double rate_b) {
  const double per_byte = std::max(0.0, (1e9 / rate_b - 1e9 / rate_a) / (2 * (b - a)));
  const double per_message = std::max(1.0, (1e9 / rate_a - 2 * per_byte * a) / 3);
  BrokerSpec broker;
  broker.per_message = static_cast<Time>(std::llround(per_message));
  broker.per_byte = per_byte;
  return broker;
}

struct Point {
  std::string size_text;
  double size = 0;
  bool fitted = false;
  std::vector<double> live_runs;  // each live search's rate, in the order run
  double live = 0;                // their median
  double sim = 0;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double live_max_rate(const std::string& size, std::uint32_t attempt, const CalibrateArguments& args,
                     const std::filesystem::path& work) {
  const std::filesystem::path dir = work / ("size-" + size + "-" + std::to_string(attempt));
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "calibrate.yaml";
  std::ofstream(file) << calibration_scenario(size);
  const Scenario scenario = workloads::load_scenario_file(file.string(), {});
  live::LiveOptions options;
  options.scenario_file = file.string();
  options.qlab_binary = live::current_executable();
  options.work_dir = dir / "live-work";
  options.rate_search_time = parse_duration(args.search_time);
  options.log = [](const std::string& line) { std::fprintf(stderr, "qlab calibrate: %s\n", line.c_str()); };
  live::run_live(scenario, options);
  return live::last_rate_search().rate_total;
}

double sim_max_rate(const BrokerSpec& broker, const std::string& size) {
  Scenario scenario = workloads::load_scenario_text(calibration_scenario(size), "calibrate.yaml", {});
  scenario.broker = broker;
  return sim::saturation_rate(scenario, capacity(broker, static_cast<double>(parse_size(size))));
}

std::string broker_block(const BrokerSpec& b) {
  return "broker: {per_message: " + format_duration(b.per_message) + ", per_byte: " + workloads::format_per_byte(b.per_byte) +
         ", threads: 1}\n";
}

void run_calibrate(const CalibrateArguments& args) {
  std::vector<Point> points;
  const auto add = [&](const std::string& text, bool fitted) {
    try {
      points.push_back({text, static_cast<double>(parse_size(text)), fitted, {}, 0, 0});
    } catch (const UnitError& e) {
      throw workloads::ScenarioError("--sizes/--check " + text + ": " + e.what());
    }
  };
  for (const std::string& s : args.sizes) add(s, true);
  for (const std::string& s : args.check) add(s, false);
  if (args.sizes.size() != 2 || points[0].size >= points[1].size) {
    throw workloads::ScenarioError("--sizes: two message sizes, the smaller first (e.g. 100B,64KiB)");
  }
  try {
    if (parse_duration(args.search_time) <= 0) throw UnitError("must be > 0");
  } catch (const UnitError& e) {
    throw workloads::ScenarioError("--search-time " + args.search_time + ": " + e.what());
  }
  if (!args.out.empty()) check_output_path(args.out, "--out", false);
  const std::filesystem::path work = !args.work_dir.empty() ? std::filesystem::path(args.work_dir)
                                     : std::filesystem::temp_directory_path() / ("qlab-calibrate-" + std::to_string(::getpid()));
  struct Scratch {  // without --work-dir the records are scratch, removed however the run ends
    std::filesystem::path dir;
    ~Scratch() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } scratch{args.work_dir.empty() ? work : std::filesystem::path()};

  // Rounds over the sizes rather than one size after another, so a spell of load elsewhere on the machine
  // spreads over every size instead of skewing one.
  for (std::uint32_t attempt = 0; attempt < args.repeat; ++attempt) {
    for (Point& p : points) p.live_runs.push_back(live_max_rate(p.size_text, attempt, args, work));
  }
  for (Point& p : points) p.live = median(p.live_runs);
  Point& a = points[0];
  Point& b = points[1];
  // First fit: the analytic capacities equal the live rates. The simulated finder's verdicts differ from the
  // analytic capacity by its margin (a probe just above capacity may still pass); refit once with it removed.
  BrokerSpec broker = fit(a.size, a.live, b.size, b.live);
  const double margin_a = sim_max_rate(broker, a.size_text) / capacity(broker, a.size);
  const double margin_b = sim_max_rate(broker, b.size_text) / capacity(broker, b.size);
  broker = fit(a.size, a.live / margin_a, b.size, b.live / margin_b);
  for (Point& p : points) p.sim = sim_max_rate(broker, p.size_text);

  std::printf("live qlab broker (pull, 1 producer, 1 consumer with no work), rate finder vs simulated with the fit:\n");
  std::printf("  %-10s %14s %14s %9s  %s\n", "size", "live max", "sim max", "error", "live searches");
  for (const Point& p : points) {
    std::string runs;
    for (double r : p.live_runs) runs += (runs.empty() ? "" : " ") + format_rate(r);
    std::printf("  %-10s %12.0f/s %12.0f/s %+8.1f%%  %s%s\n", p.size_text.c_str(), p.live, p.sim,
                100 * (p.sim - p.live) / p.live, runs.c_str(), p.fitted ? "" : "  (check: not fitted)");
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  const std::string block = "# qlab calibrate " + std::string(stamp) + ": live max " + format_rate(a.live) + " at " +
                            a.size_text + ", " + format_rate(b.live) + " at " + b.size_text + "\n" + broker_block(broker);
  std::printf("%s", block.c_str());
  if (!args.out.empty()) {
    std::ofstream out(args.out);
    out << block;
    if (!out) throw std::runtime_error(args.out + ": cannot write the broker block");
  }
}

}  // namespace

void add_calibrate_command(CLI::App& app) {
  auto args = std::make_shared<CalibrateArguments>();
  CLI::App* command = app.add_subcommand("calibrate", "Measure the live qlab broker and write the simulator's broker: block");
  command->add_option("--sizes", args->sizes, "The two message sizes the costs are fitted to")
      ->delimiter(',')
      ->capture_default_str();
  command->add_option("--check", args->check, "More sizes measured live and simulated, not fitted")->delimiter(',');
  command->add_option("--search-time", args->search_time, "Wall time of each live rate search")->capture_default_str();
  command->add_option("--repeat", args->repeat, "Live rate searches per size (their median is fitted)")
      ->check(whole_number(1, 100))
      ->capture_default_str();
  command->add_option("-o,--out", args->out, "Also write the broker: block (YAML) into this file");
  command->add_option("--work-dir", args->work_dir, "Keep the live runs' records and logs here");
  command->callback([args] { run_calibrate(*args); });
}

}  // namespace qlab::cli
