// The zoo's designs against the results they must reproduce (issue "the design zoo"): the supermarket model
// for power_of_d, M/M/c and pre-assignment as the two ends of push's prefetch, independent M/M/1 queues and
// a round-trip-bound throughput for fifo_groups, and pull's makespan for work_stealing. Fixed seeds; a
// theoretical value is accepted within twice the 95% confidence half-width of the simulated mean, except
// where the theory is an N -> infinity limit (stated below with the deviation measured at finite N).
#include <cmath>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "sim_test_support.hpp"

namespace qlab::sim {
namespace {

using testing::expect_within_ci;
using testing::metric_summary;
using testing::scenario_from;

// The supermarket model's mean time in system (service rate 1, arrival rate lambda per server, d choices):
// T_d = sum_{i >= 1} lambda^((d^i - d) / (d - 1)); T_1 = 1 / (1 - lambda).
double supermarket_time(double lambda, int d) {
  if (d == 1) return 1 / (1 - lambda);
  double sum = 0;
  double power = d;  // d^i
  for (int i = 1; i < 64; ++i, power *= d) {
    const double term = std::pow(lambda, (power - d) / (d - 1));
    sum += term;
    if (term < 1e-12) break;
  }
  return sum;
}

Summary run_metric(const std::string& yaml, const std::string& key) {
  return metric_summary(run_repetitions(scenario_from(yaml)), key);
}

// The measurement, printed for docs/DESIGNS.md.
void report(const std::string& what, const Summary& s, const std::string& against) {
  std::cout << what << ": " << s.mean << " ± " << s.ci95 << " (" << against << ")\n";
}

// Two simulated means agree: their difference lies within twice the combined 95% half-width.
void expect_same(const Summary& a, const Summary& b) {
  EXPECT_NEAR(a.mean, b.mean, 2 * std::hypot(a.ci95, b.ci95)) << a.mean << " ± " << a.ci95 << " vs " << b.mean << " ± " << b.ci95;
}

// N = 100 consumers of exponential service (mean 1 s), Poisson arrivals at lambda = 0.9 per consumer.
std::string supermarket(const std::string& queue) {
  return "name: supermarket\nseed: 5\nrepetitions: 8\nduration: 1500s\nwarmup: 150s\nqueue: " + queue +
         "\nproducers: [{rate: 90/s}]\nconsumers: [{count: 100, service: {dist: exponential, mean: 1s}}]\n";
}

TEST(DesignZooTheory, power_of_two_choices_is_within_five_percent_of_the_supermarket_model_at_n_100) {
  const Summary s = run_metric(supermarket("{design: power_of_d, d: 2}"), "latency_mean");
  const double theory = supermarket_time(0.9, 2);
  EXPECT_NEAR(theory, 2.6141, 1e-3);
  EXPECT_NEAR(s.mean, theory, 0.05 * theory) << "simulated " << s.mean << " ± " << s.ci95;
  EXPECT_LT(s.ci95, 0.02 * theory);
  report("power_of_d d=2 N=100 lambda=0.9: T", s,
         "supermarket limit " + std::to_string(theory) + ", " + std::to_string(100 * (s.mean / theory - 1)) + "% at N = 100");
}

TEST(DesignZooTheory, one_choice_is_random_assignment_an_m_m_1_per_consumer) {
  // Exact at every N: each consumer is an M/M/1 queue at rho = 0.9, T = 10 s.
  const Summary s = run_metric(supermarket("{design: power_of_d, d: 1}"), "latency_mean");
  report("power_of_d d=1 N=100 lambda=0.9: T", s, "M/M/1: 10");
  expect_within_ci(s, supermarket_time(0.9, 1));
}

TEST(DesignZooTheory, jsq_beats_two_choices_which_beats_one) {
  const Summary jsq = run_metric(supermarket("{design: jsq}"), "latency_mean");
  const Summary two = run_metric(supermarket("{design: power_of_d, d: 2}"), "latency_mean");
  report("jsq N=100 lambda=0.9: T", jsq, "d=2: " + std::to_string(two.mean));
  EXPECT_GT(jsq.mean, 1.0);  // never below the service time
  EXPECT_LT(jsq.mean + 2 * jsq.ci95, two.mean - 2 * two.ci95);
}

// M/M/4 at rho = 0.9, consumers with the given prefetch.
std::string mm4(const std::string& design, int prefetch) {
  return "name: mm4\nseed: 11\nrepetitions: 8\nduration: 20000s\nwarmup: 1000s\nqueue: {design: " + design +
         "}\nproducers: [{rate: 3.6/s}]\nconsumers: [{count: 4, prefetch: " + std::to_string(prefetch) +
         ", service: {dist: exponential, mean: 1s}}]\n";
}

TEST(DesignZooTheory, push_with_prefetch_one_waits_like_pull) {
  const Summary push = run_metric(mm4("push", 1), "wait_mean");
  const Summary pull = run_metric(mm4("pull", 1), "wait_mean");
  report("push prefetch 1 M/M/4 rho=0.9: W", push, "pull: " + std::to_string(pull.mean));
  expect_same(push, pull);
}

// The seed suite's heterogeneous batch: 2000 messages at t = 0, 4 consumers of mean 100 ms and 4 of 400 ms.
std::string heterogeneous_batch(const std::string& queue, int prefetch) {
  const std::string consumers = "prefetch: " + std::to_string(prefetch) + ", service: {dist: exponential, mean: ";
  return "name: batch\nseed: 11\nrepetitions: 6\nqueue: " + queue +
         "\nproducers: [{arrival: batch, messages: 2000, at: 0s}]\nconsumers:\n  - {name: fast, count: 4, " +
         consumers + "100ms}}\n  - {name: slow, count: 4, " + consumers + "400ms}}\n";
}

TEST(DesignZooTheory, push_with_a_large_prefetch_drains_a_batch_like_round_robin_preassignment) {
  const Summary push = run_metric(heterogeneous_batch("{design: push}", 1000), "makespan");
  const Summary preassigned = run_metric(heterogeneous_batch("{design: preassigned}", 1), "makespan");
  const Summary pull = run_metric(heterogeneous_batch("{design: pull}", 1), "makespan");
  report("push prefetch 1000 heterogeneous batch: makespan", push,
         "preassigned: " + std::to_string(preassigned.mean) + ", pull: " + std::to_string(pull.mean));
  expect_same(push, preassigned);
  EXPECT_GT(push.mean, 2 * pull.mean) << "a large prefetch gives up pull's adaptation";
}

TEST(DesignZooTheory, work_stealing_drains_a_batch_within_ten_percent_of_pull) {
  const Summary pull = run_metric(heterogeneous_batch("{design: pull}", 1), "makespan");
  for (const char* queue : {"{design: work_stealing}", "{design: work_stealing, steal: one, victim: random}"}) {
    const Summary stealing = run_metric(heterogeneous_batch(queue, 1), "makespan");
    report(std::string("work_stealing ") + queue + " heterogeneous batch: makespan", stealing, "pull: " + std::to_string(pull.mean));
    EXPECT_LT(std::abs(stealing.mean / pull.mean - 1), 0.10) << queue << ": " << stealing.mean << " vs pull " << pull.mean;
  }
}

// Four key streams (groups or partitions) of uniform keys and four consumers, Poisson 3.2/s, exponential
// service of mean 1 s: each stream an M/M/1 at rho = 0.8, W = 4 s. The simulator derives a message's key
// from its producer and that producer's sequence number, not from the seed: with one producer, every
// repetition would split the arrivals into streams the same way (measured: W = 4.22 to 4.28 s for three
// seeds, each ± 0.1 s), so the interval would not cover the split. 64 producers of 0.05/s each interleave
// at random, so each repetition splits afresh.
void expect_four_m_m_1_queues(const std::string& queue, const std::string& label) {
  const std::string yaml = "name: streams\nseed: 11\nrepetitions: 16\nduration: 20000s\nwarmup: 1000s\nqueue: " +
                           queue + "\nproducers: [{count: 64, rate: 0.05/s}]\n"
                           "consumers: [{count: 4, service: {dist: exponential, mean: 1s}}]\n";
  const Summary s = run_metric(yaml, "wait_mean");
  report(label + " rho=0.8: W", s, "M/M/1: 4");
  expect_within_ci(s, 0.8 / (1 - 0.8));
}

TEST(DesignZooTheory, fifo_groups_with_one_consumer_per_group_are_independent_m_m_1_queues) {
  expect_four_m_m_1_queues("{design: fifo_groups, groups: 4}", "fifo_groups G=4");
}

TEST(DesignZooTheory, one_fifo_group_serves_one_message_per_service_plus_round_trip) {
  // Service 10 ms, 5 ms each way: a message every 10 + 2 * 5 ms, however many consumers wait.
  const std::string yaml =
      "name: one-group\nseed: 3\nqueue: {design: fifo_groups, groups: 1}\nnetwork: {latency: 5ms}\n"
      "producers: [{arrival: batch, messages: 500, at: 0s}]\nconsumers: [{count: 4, prefetch: 4, service: 10ms}]\n";
  const RunResult run = run_repetitions(scenario_from(yaml)).at(0);
  const double rate = 500 / testing::metric(run, "makespan");
  std::cout << "fifo_groups one group, 10ms service, 5ms one way: " << rate << " messages/s (1 / 20ms = 50)\n";
  EXPECT_NEAR(rate, 1 / 0.020, 0.5);
}

TEST(DesignZooTheory, partitioned_with_one_consumer_per_partition_is_an_m_m_1_per_partition) {
  expect_four_m_m_1_queues("{design: partitioned, partitions: 4}", "partitioned P=C=4");
}

TEST(DesignZooTheory, partitioned_consumers_beyond_the_partition_count_never_process_anything) {
  const std::string yaml =
      "name: idle\nseed: 4\nduration: 600s\nqueue: {design: partitioned, partitions: 3}\n"
      "producers: [{rate: 2/s}]\nconsumers: [{count: 5, service: {dist: exponential, mean: 1s}}]\n";
  const RunResult run = run_repetitions(scenario_from(yaml)).at(0);
  int idle = 0;
  for (const ConsumerFigures& c : run.consumers) idle += c.processed == 0 ? 1 : 0;
  EXPECT_EQ(idle, 5 - 3);
  EXPECT_EQ(testing::metric(run, "unique_processed"), testing::metric(run, "published"));
}

}  // namespace
}  // namespace qlab::sim
