#include "repetition_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "simulation.hpp"

namespace qlab::sim {

std::vector<RunResult> run_repetitions(const Scenario& scenario, const RepetitionOptions& options) {
  const std::uint32_t total = scenario.repetitions;
  std::vector<RunResult> results(total);
  unsigned threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, total);

  std::atomic<std::uint32_t> next{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> messages{0};
  std::mutex mutex;
  std::condition_variable changed;
  std::uint32_t finished = 0;
  SimulationOptions sim_options{options.trace, &events, &messages};

  const auto worker = [&] {
    for (std::uint32_t r = next++; r < total; r = next++) {
      results[r] = simulate(scenario, r, sim_options);
      std::lock_guard lock(mutex);
      ++finished;
      changed.notify_all();
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (options.on_progress) {
    // The calling thread reports progress; the pool does the work.
    pool.emplace_back(worker);
    std::unique_lock lock(mutex);
    bool done = false;
    while (!done) {
      done = changed.wait_for(lock, std::chrono::milliseconds(250), [&] { return finished == total; });
      options.on_progress(finished, total, events.load(std::memory_order_relaxed), messages.load(std::memory_order_relaxed));
    }
  } else {
    worker();
  }
  pool.clear();  // joins
  return results;
}

}  // namespace qlab::sim
