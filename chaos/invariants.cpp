#include "chaos/invariants.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>

#include "core/units.hpp"
#include "queues/design_registry.hpp"

namespace qlab::chaos {
namespace {

// A stretch of time during which one consumer processed one copy of a message.
struct Interval {
  std::uint32_t consumer = 0;
  Time start = 0;
  Time end = 0;
  Time delivered = 0;  // the latest delivery of the message to that consumer at or before `start`
  bool finished = false;
};

std::string seconds(Time t) { return format_duration(t); }

class InvariantChecker {
 public:
  InvariantChecker(const Scenario& scenario, const RunResult& result)
      : scenario_(scenario), result_(result), design_(find_design(scenario.queue.design)) {}

  std::vector<Violation> run() {
    if (design_ == nullptr) {
      fail("trace", "unknown design " + scenario_.queue.design);
      return std::move(violations_);
    }
    if (result_.trace.empty() && metric("published") > 0) {
      fail("trace", "the run was not traced");
      return std::move(violations_);
    }
    end_ = static_cast<Time>(std::llround(metric("duration_simulated") * static_cast<double>(kSecond)));
    for (std::uint32_t c = 0; c < result_.consumers.size(); ++c) consumer_index_[result_.consumers[c].name] = c;
    for (const FaultWindow& w : result_.faults) {
      if (w.action == "crash") crashes_[w.target].push_back(w.start);
      if (w.action == "broker_crash") broker_windows_.push_back(&w);
    }
    for (auto& [name, times] : crashes_) std::sort(times.begin(), times.end());
    std::sort(broker_windows_.begin(), broker_windows_.end(),
              [](const FaultWindow* a, const FaultWindow* b) { return a->start < b->start; });

    check_conservation();
    for (const MessageTrace& m : result_.trace) check_message(m);
    check_trace_totals();
    if (design_->keeps_until_ack) {
      check_no_loss();
      check_confirmed_survive();
    } else {
      check_at_most_once();
    }
    return std::move(violations_);
  }

 private:
  void fail(const char* invariant, std::string detail) {
    // A broken design tends to break the same promise for many messages: a few examples say enough.
    if (++reported_[invariant] > 3) return;
    violations_.push_back({invariant, std::move(detail)});
  }

  double metric(const char* key) {
    const std::optional<double> value = result_.metric(key);
    if (!value) {
      fail("trace", std::string("metric ") + key + " missing");
      return 0;
    }
    return *value;
  }
  std::int64_t count(const char* key) { return std::llround(metric(key)); }

  std::int64_t int_param(const std::string& name, std::int64_t fallback) const {
    const auto it = scenario_.queue.params.find(name);
    if (it == scenario_.queue.params.end()) return fallback;
    const auto* value = std::get_if<std::int64_t>(&it->second);
    return value ? *value : fallback;
  }
  std::string choice_param(const std::string& name) const {
    const auto it = scenario_.queue.params.find(name);
    if (it == scenario_.queue.params.end()) return "";
    const auto* value = std::get_if<std::string>(&it->second);
    return value ? *value : "";
  }
  bool flag_param(const std::string& name) const {
    const auto it = scenario_.queue.params.find(name);
    if (it == scenario_.queue.params.end()) return false;
    const auto* value = std::get_if<bool>(&it->second);
    return value && *value;
  }
  bool any_window(std::string_view action) const {
    return std::any_of(result_.faults.begin(), result_.faults.end(),
                       [&](const FaultWindow& w) { return w.action == action; });
  }

  // published == unique_processed + dead_lettered + lost + dropped + remaining, from the counters and again from
  // the per-message fates.
  void check_conservation() {
    const std::int64_t published = count("published");
    const std::int64_t unique = count("unique_processed");
    const std::int64_t dead = count("dead_lettered");
    const std::int64_t lost = count("lost");
    const std::int64_t remaining = count("remaining");
    // A bounded queue's discards (live mode counts them in dead_lettered and does not report dropped).
    const std::int64_t dropped = std::llround(result_.metric("dropped").value_or(0));
    if (published != unique + dead + lost + dropped + remaining) {
      fail("conservation", "published " + std::to_string(published) + " != unique_processed " + std::to_string(unique) +
                               " + dead_lettered " + std::to_string(dead) + " + lost " + std::to_string(lost) +
                               " + dropped " + std::to_string(dropped) + " + remaining " + std::to_string(remaining));
    }
    if (count("duplicates") != count("processed") - unique) fail("conservation", "duplicates != processed - unique_processed");
    if (lost != count("lost_consumer_crash") + count("lost_broker_crash") + count("lost_network")) {
      fail("loss_attribution", "lost " + std::to_string(lost) + " != the sum of its causes");
    }

    std::map<std::string, std::int64_t> fates;
    for (const MessageTrace& m : result_.trace) ++fates[m.fate.starts_with("lost") ? "lost" : m.fate];
    for (const MessageTrace& m : result_.trace) {
      if (m.fate.starts_with("lost:")) ++fates[m.fate];
    }
    const std::int64_t accepted = static_cast<std::int64_t>(result_.trace.size()) - fates["never_accepted"];
    const auto compare = [&](const char* what, std::int64_t from_trace, std::int64_t from_metrics) {
      if (from_trace != from_metrics) {
        fail("conservation", std::string(what) + ": " + std::to_string(from_trace) + " by the message fates, " +
                                 std::to_string(from_metrics) + " by the counters");
      }
    };
    compare("published", accepted, published);
    compare("unique_processed", fates["processed"], unique);
    compare("dead_lettered", fates["dead_lettered"], dead);
    compare("lost", fates["lost"], lost);
    compare("dropped", fates["dropped"], dropped);
    compare("remaining", fates["remaining"], remaining);
    for (const char* cause : {"consumer_crash", "broker_crash", "network"}) {
      const std::string key = std::string("lost_") + cause;
      if (fates[std::string("lost:") + cause] != count(key.c_str())) {
        fail("loss_attribution", key + " is " + std::to_string(count(key.c_str())) + " but " +
                                     std::to_string(fates[std::string("lost:") + cause]) + " messages have that fate");
      }
    }
  }

  void check_trace_totals() {
    std::int64_t deliveries = 0;
    std::int64_t redeliveries = 0;
    for (const MessageTrace& m : result_.trace) {
      deliveries += static_cast<std::int64_t>(m.deliveries.size());
      redeliveries += m.deliveries.empty() ? 0 : static_cast<std::int64_t>(m.deliveries.size()) - 1;
    }
    if (deliveries != count("deliveries")) fail("trace", "deliveries in the trace disagree with the counter");
    if (redeliveries != count("redeliveries")) fail("trace", "redeliveries in the trace disagree with the counter");
    if (completions_ != count("processed")) {
      fail("trace", std::to_string(completions_) + " completions in the trace, processed " + std::to_string(count("processed")));
    }
    if (lost_confirmed_ != count("lost_confirmed")) fail("trace", "lost confirmed messages disagree with lost_confirmed");
  }

  // The end of an interval its consumer never finished: its next crash (or the end of the run).
  Time crash_after(const std::string& consumer, Time start) const {
    const auto it = crashes_.find(consumer);
    if (it == crashes_.end()) return end_;
    const auto next = std::lower_bound(it->second.begin(), it->second.end(), start);
    return next == it->second.end() ? end_ : *next;
  }

  void check_message(const MessageTrace& m) {
    const std::string id = "message " + std::to_string(m.id);
    Time last = m.published;
    bool released = false;
    bool confirmed = false;
    std::map<std::string, bool> copy_dropped;  // by cause
    std::vector<Interval> intervals;
    std::map<std::uint32_t, std::size_t> open;  // consumer -> index into intervals
    bool done = false;
    for (const auto& [t, what] : m.history) {
      if (t < last) fail("trace", id + ": history goes back in time at '" + what + "'");
      last = std::max(last, t);
      if (what == "confirmed") confirmed = true;
      if (what.starts_with("released by the queue")) released = true;
      if (what.starts_with("copy dropped:")) copy_dropped[what.substr(13)] = true;
      if (what.starts_with("lost:") && m.fate != "never_accepted") {
        const std::string cause = what.substr(5);
        if (!released && !copy_dropped[cause]) fail("loss_attribution", id + " lost (" + cause + ") with no copy dropped or released");
        if (design_->keeps_until_ack && !released) {
          fail("no_loss", id + " lost (" + cause + ") by " + scenario_.queue.design + " without a broker crash releasing it");
        }
        if (confirmed) ++lost_confirmed_;
      }
      const bool starts = what.starts_with("start:");
      if (!starts && !what.starts_with("done:")) continue;
      const std::string name = what.substr(what.find(':') + 1);
      const auto consumer = consumer_index_.find(name);
      if (consumer == consumer_index_.end()) {
        fail("trace", id + ": unknown consumer " + name);
        continue;
      }
      const std::uint32_t c = consumer->second;
      if (starts) {
        if (auto o = open.find(c); o != open.end()) {  // the previous copy died with its consumer
          intervals[o->second].end = std::min(crash_after(name, intervals[o->second].start), t);
        }
        Interval interval{c, t, end_, -1, false};
        for (const auto& [to, at] : m.deliveries) {
          if (to == c && at <= t) interval.delivered = std::max(interval.delivered, at);
        }
        if (interval.delivered < 0) fail("trace", id + ": " + name + " started it at " + seconds(t) + " without a delivery");
        open[c] = intervals.size();
        intervals.push_back(interval);
      } else {
        ++completions_;
        done = true;
        const auto o = open.find(c);
        if (o == open.end()) {
          fail("trace", id + ": " + name + " finished it at " + seconds(t) + " without starting it");
          continue;
        }
        intervals[o->second].end = t;
        intervals[o->second].finished = true;
        open.erase(o);
      }
    }
    for (const auto& [c, index] : open) {
      intervals[index].end = crash_after(result_.consumers[c].name, intervals[index].start);
    }
    if (done != (m.fate == "processed")) fail("trace", id + ": fate " + m.fate + " but " + (done ? "" : "no ") + "completion");
    if (m.completed >= 0 && m.completed < m.published) fail("trace", id + ": completed before it was published");
    check_exclusive(m, intervals);
  }

  // No two consumers process a message at once, unless its visibility expired in between (at-least-once
  // designs) or a broker crash came between the two deliveries (failover makes everything visible again).
  void check_exclusive(const MessageTrace& m, const std::vector<Interval>& intervals) {
    for (std::size_t i = 0; i < intervals.size(); ++i) {
      for (std::size_t j = i + 1; j < intervals.size(); ++j) {
        const Interval& a = intervals[i];
        const Interval& b = intervals[j];
        if (a.consumer == b.consumer || !(a.start < b.end && b.start < a.end)) continue;
        const std::string what = "message " + std::to_string(m.id) + " processed by " + result_.consumers[a.consumer].name +
                                 " [" + seconds(a.start) + ", " + seconds(a.end) + "] and " +
                                 result_.consumers[b.consumer].name + " [" + seconds(b.start) + ", " + seconds(b.end) +
                                 "], delivered at " + seconds(a.delivered) + " and " + seconds(b.delivered);
        if (!design_->keeps_until_ack) {
          fail("exclusive_processing", what + " under at-most-once " + scenario_.queue.design);
          continue;
        }
        const Time visibility = redelivery_timeout();
        const Time first = std::min(a.delivered, b.delivered);
        const Time second = std::max(a.delivered, b.delivered);
        if (second - first >= visibility) continue;
        const bool failover = std::any_of(broker_windows_.begin(), broker_windows_.end(), [&](const FaultWindow* w) {
          return w->start >= first && w->start <= second;
        });
        if (!failover) {
          fail("exclusive_processing", what + ", less than the redelivery timeout " +
                                           (visibility == kNever ? std::string("(never)") : seconds(visibility)) + " apart");
        }
      }
    }
  }

  // How long a delivery of an at-least-once design stays exclusive: visibility_timeout; share_group:
  // lock_duration; push: for ever without consumer_timeout (it takes a delivery back early only from a lost
  // consumer, whose processing ended), and nothing with it (a timeout takes back all the consumer holds,
  // however young). partitioned promises nothing (a rebalance moves a partition away from a live member
  // that still works on its records). The design audit checks push's channel rule exactly.
  Time redelivery_timeout() const {
    const std::string& design = scenario_.queue.design;
    if (design == "partitioned") return 0;
    if (design == "share_group") return int_param("lock_duration", 0);
    if (design == "push") return int_param("consumer_timeout", 0) > 0 ? 0 : kNever;
    return int_param("visibility_timeout", 0);
  }

  // Designs that keep a message until it is acked lose it only when a broker crash takes it.
  void check_no_loss() {
    if (broker_windows_.empty() && count("lost") != 0) {
      fail("no_loss", scenario_.queue.design + " lost " + std::to_string(count("lost")) + " messages without any broker crash");
    }
  }

  // replicated with acks: all keeps every confirmed publish while the broker nodes fail one at a time: at
  // least three replicas, followers never lag out of the in-sync set, no unclean election, and every crash
  // comes after the previous node is back and caught up (failure_detection plus a replication round trip).
  void check_confirmed_survive() {
    if (choice_param("acks") != "all" || int_param("replicas", 1) < 3 || flag_param("unclean_election")) return;
    const Time latency = int_param("replication_latency", 0);
    if (int_param("replica_lag_max", 0) < latency) return;
    const Time settle = int_param("failure_detection", 0) + 2 * latency + kMillisecond;
    for (std::size_t w = 1; w < broker_windows_.size(); ++w) {
      if (broker_windows_[w]->start < broker_windows_[w - 1]->end + settle) return;
    }
    if (count("lost_confirmed") != 0) {
      fail("confirmed_survive", "replicated acks: all lost " + std::to_string(count("lost_confirmed")) +
                                    " confirmed messages though its nodes failed one at a time");
    }
  }

  // Designs that hand a message over on delivery never deliver it twice and lose only to the faults the
  // ledger names: consumer crashes, broker crashes, deliveries dropped on the broker->consumer hop.
  void check_at_most_once() {
    if (count("redeliveries") != 0) fail("at_most_once", std::to_string(count("redeliveries")) + " redeliveries");
    if (count("duplicates") != 0) fail("at_most_once", std::to_string(count("duplicates")) + " duplicates");
    const bool drops = std::any_of(scenario_.faults.begin(), scenario_.faults.end(), [](const FaultSpec& f) {
      return f.action == FaultAction::drop && f.hop == Hop::broker_to_consumer;
    });
    const struct {
      const char* key;
      bool possible;
    } causes[] = {{"lost_consumer_crash", any_window("crash")},
                  {"lost_broker_crash", any_window("broker_crash")},
                  {"lost_network", drops && any_window("drop")}};
    for (const auto& cause : causes) {
      if (!cause.possible && count(cause.key) != 0) {
        fail("at_most_once", std::string(cause.key) + " is " + std::to_string(count(cause.key)) + " without such a fault");
      }
    }
  }

  const Scenario& scenario_;
  const RunResult& result_;
  const DesignInfo* design_;
  Time end_ = 0;
  std::map<std::string, std::uint32_t> consumer_index_;
  std::map<std::string, std::vector<Time>> crashes_;
  std::vector<const FaultWindow*> broker_windows_;
  std::int64_t completions_ = 0;
  std::int64_t lost_confirmed_ = 0;
  std::map<std::string, int> reported_;
  std::vector<Violation> violations_;
};

}  // namespace

std::vector<Violation> check_invariants(const Scenario& scenario, const RunResult& result) {
  return InvariantChecker(scenario, result).run();
}

}  // namespace qlab::chaos
