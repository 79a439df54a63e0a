#pragma once
// The processes of a local live run, each its own OS process (so a crash is a real SIGKILL):
// a producer publishing open-loop on the scenario's arrival process, and a consumer that pulls, "processes"
// for a sampled service time (sleeping), then acks. Both talk to the broker through a BrokerClient of the
// run's back end (live/backends/), qlab's own broker included, so every back end runs the same code. Both append one line per event to a records file
// (written with one write(2) per line, so a SIGKILL loses nothing already recorded). Times are the steady
// clock (CLOCK_MONOTONIC, shared by every process of the host) in ns.
//
// Producer lines:  S,seq,intended,sent               (a PUBLISH left; intended = the arrival process's time)
//                  A,seq,message_id,confirmed,status  (its confirmation; status 0 accepted, 1 refused for good)
//                  R,seq,time                         (a send was refused; on_unavailable: retry sends it again)
// Consumer lines:  D,consumer,message_id,receive_count,intended,delivered
//                  B,consumer,message_id,start        (processing began: one service-time draw)
//                  C,consumer,message_id,start,end    (processing of that delivery finished; acked after)
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/scenario.hpp"
#include "core/time.hpp"
#include "live/backends/broker_client.hpp"
#include "live/steady_clock.hpp"

namespace qlab::live {

// Where the broker is: the back end's name (backend_registry.hpp) and every node a client may use.
struct WorkerTarget {
  std::string backend = "qlab";
  std::vector<Endpoint> endpoints;
  std::string token;
};

struct ProducerTask {
  std::size_t group = 0;
  std::uint32_t index = 0;
  std::uint64_t seed = 1;  // the repetition's seed
  Time start = 0;          // monotonic_now() value of scenario time 0
  double time_scale = 1;   // real time = start + scenario time x this
  // A restarted producer: the (crashed, restarted) scenario times of its earlier outages, in order; it replays
  // the arrival draws of its earlier lives and continues from the last restart.
  std::vector<std::pair<Time, Time>> outages;
  WorkerTarget broker;
  std::string records;
};

struct ConsumerTask {
  std::size_t group = 0;
  std::uint32_t index = 0;
  std::uint32_t incarnation = 0;  // bumped by each restart
  std::uint64_t seed = 1;
  double time_scale = 1;          // service times are drawn in scenario time and multiplied by this
  WorkerTarget broker;
  std::string records;
  // The `slow` fault: on SIGUSR1 (and at start) the consumer reads a service-time factor from this file.
  std::string slow_file;
  // Created once the consumer is connected and has asked for deliveries (how the coordinator knows the
  // consumers are ready when the back end cannot count them); empty: none.
  std::string ready_file;
};

// `scenario` is as loaded (not time-scaled): workers draw in scenario time, exactly as the simulator draws
// (the same named streams of the repetition seed), and act in real time scaled by the task's time_scale.
// Returns when every publish is confirmed (exit code).
int run_producer(const Scenario& scenario, const ProducerTask& task);
// Runs until SIGTERM; then processes whatever it holds and returns (exit code).
int run_consumer(const Scenario& scenario, const ConsumerTask& task);

}  // namespace qlab::live
