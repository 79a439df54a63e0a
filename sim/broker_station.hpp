#pragma once
// The simulated broker's processing (`broker:` in the scenario) as a queueing station: `threads` servers,
// one first-come-first-served queue. Every publish, delivery and ack/pull waits here for its service time
// before it takes effect. Passive: the engine schedules each server's completion and hands it back.
// Measures, from `warmup` on, the servers' busy time and the jobs' waits for a server.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/check.hpp"
#include "core/time.hpp"

namespace qlab::sim {

template <class Job>
class BrokerStation {
 public:
  BrokerStation(std::uint32_t threads, Time warmup) : servers_(threads), warmup_(warmup) {
    for (std::uint32_t s = threads; s-- > 0;) idle_.push_back(s);
  }

  // `job` arrives needing `service`: returns the server it starts on now, or nullopt when every server is
  // busy (it waits its turn). The caller then schedules that server's completion at now + service.
  std::optional<std::uint32_t> arrive(Time now, Time service, const Job& job) {
    if (idle_.empty()) {
      queue_.push_back(Waiting{job, service, now});
      return std::nullopt;
    }
    const std::uint32_t s = idle_.back();
    idle_.pop_back();
    start(now, s, Waiting{job, service, now});
    return s;
  }

  // Server `server` finished: returns its job. When a job waited, it starts on that server, and `next_service`
  // is its service time (the caller schedules the completion); otherwise nullopt.
  Job finish(Time now, std::uint32_t server, std::optional<Time>& next_service) {
    Server& s = servers_[server];
    QLAB_CHECK(s.busy && s.done_at == now, "a broker server finished a job it was not doing");
    Job done = s.job;
    s.busy = false;
    next_service.reset();
    if (queue_.empty()) {
      idle_.push_back(server);
    } else {
      start(now, server, queue_.front());
      queue_.pop_front();
      next_service = s.done_at - now;
    }
    return done;
  }

  // Every job in the station, being served or waiting.
  template <class F>
  void for_each(F&& f) const {
    for (const Server& s : servers_) {
      if (s.busy) f(s.job);
    }
    for (const Waiting& w : queue_) f(w.job);
  }

  // Busy server-time within [warmup, end] over threads x (end - warmup).
  double utilization(Time end) const {
    Time busy = busy_;
    for (const Server& s : servers_) {
      if (s.busy && s.done_at > end) busy -= s.done_at - std::max(end, std::max(s.started, warmup_));
    }
    const Time window = end - warmup_;
    return window > 0 ? static_cast<double>(busy) / (static_cast<double>(window) * static_cast<double>(servers_.size())) : 0;
  }
  // The mean time a job that arrived from warmup on waited for a server, in nanoseconds.
  double mean_wait() const { return waits_ > 0 ? static_cast<double>(wait_total_) / static_cast<double>(waits_) : 0; }
  std::uint64_t jobs() const { return waits_; }

 private:
  struct Waiting {
    Job job;
    Time service = 0;
    Time arrived = 0;
  };
  struct Server {
    Job job{};
    bool busy = false;
    Time started = 0;
    Time done_at = 0;
  };

  void start(Time now, std::uint32_t server, const Waiting& w) {
    Server& s = servers_[server];
    s.job = w.job;
    s.busy = true;
    s.started = now;
    s.done_at = now + w.service;
    busy_ += std::max<Time>(0, s.done_at - std::max(now, warmup_));
    if (w.arrived >= warmup_) {
      wait_total_ += now - w.arrived;
      ++waits_;
    }
  }

  std::vector<Server> servers_;
  std::vector<std::uint32_t> idle_;  // servers without a job
  std::deque<Waiting> queue_;
  Time warmup_;
  Time busy_ = 0;
  Time wait_total_ = 0;
  std::uint64_t waits_ = 0;
};

}  // namespace qlab::sim
