#pragma once
// Queue designs by name: what each is, which parameters it takes (with types, defaults and ranges), and
// a factory. The scenario loader validates `queue:` keys against this; `qlab designs` prints it.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/random_stream.hpp"
#include "core/scenario.hpp"
#include "queue_design.hpp"

namespace qlab {

struct ParamSpec {
  enum class Type { duration, count, flag, choice };
  std::string name;
  Type type = Type::count;
  ParamValue default_value;
  std::vector<std::string> choices;  // Type::choice only
  std::int64_t min = 0;              // duration / count: smallest accepted value
  std::string doc;                   // one line
  std::int64_t max = INT64_MAX;      // count: largest accepted value
};

struct DesignInfo {
  std::string name;
  std::string summary;       // one line
  // True when a delivery leaves the message in the design's custody until acked (at-least-once);
  // false when delivery hands it over (at-most-once): a consumer that dies holding it loses it.
  bool keeps_until_ack = false;
  // True when the design emits ActionKind::confirm for publishes (replication decides when); otherwise
  // a publish is confirmed the moment the design accepts it.
  bool confirms_publishes = false;
  // True when the design implements QueueDesign::backlog_bytes() and drop_oldest(): it takes max_bytes and
  // overflow: drop_head besides the limits every design takes (max_length, ttl; see limited_queue.hpp).
  bool head_access = false;
  // False for designs whose records outlive their ack (partitioned: an offset log): they take no ttl.
  bool expiry = true;
  // False for designs that cannot tell which messages they may still name (QueueDesign::oldest_referable
  // answers 0: replicated, whose replicas may bring old messages back): the simulator then keeps the fate
  // of every settled message, and its memory grows with messages whose fates alternate.
  bool forgets_settled = true;
  std::vector<ParamSpec> params;
  // `params` holds every parameter of `params` above (defaults filled in, already validated).
  std::function<std::unique_ptr<QueueDesign>(const DesignParams& params, RandomStream rng)> make;
};

// Every registered design, in a stable order.
const std::vector<DesignInfo>& designs();
// nullptr when no design has that name.
const DesignInfo* find_design(const std::string& name);
// `given` completed with the defaults of `info`'s parameters.
DesignParams with_defaults(const DesignInfo& info, DesignParams given);
// `scenario.queue` as a run uses it: a design that splits work among consumers up front (preassigned) gets the
// scenario's consumer count as its parameter `consumers` unless the scenario set it, so that what is published
// before the consumers join is split among all of them. The simulator and `qlab live` run the design with it.
QueueSpec queue_for_run(const Scenario& scenario);

}  // namespace qlab
