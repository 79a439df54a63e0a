#include "live/backends/redis_launcher.hpp"

#include <hiredis/hiredis.h>

#include <functional>

#include "live/backends/backend_checks.hpp"
#include "live/backends/server_node.hpp"
#include "live/backends/single_node_launcher.hpp"

namespace qlab::live {
namespace {

struct RedisOptions {
  bool appendonly = true;
  std::string appendfsync = "everysec";
};

RedisOptions redis_options(const nlohmann::json& json) {
  const BackendOptions options("redis", json, {"appendonly", "appendfsync"});
  return {options.flag("appendonly", true), options.choice("appendfsync", "everysec", {"always", "everysec", "no"})};
}

class RedisLauncher final : public SingleNodeLauncher {
 public:
  // The running server's (on whichever host it runs), else the one on this machine's PATH.
  std::string version() const override {
    if (const std::vector<Endpoint> at = endpoints(); !at.empty()) {
      std::string info;
      ask(at.front(), {"INFO", "server"}, [&](const redisReply& r) {
        if (r.type == REDIS_REPLY_STRING) info.assign(r.str, r.len);
      });
      const std::string key = "redis_version:";
      if (const std::size_t v = info.find(key); v != std::string::npos) {
        return "redis-server " + info.substr(v + key.size(), info.find_first_of("\r\n", v) - v - key.size());
      }
    }
    // "Redis server v=7.0.15 sha=..." -> "redis-server 7.0.15"
    const std::string line = first_output_line({"redis-server", "--version"});
    const std::size_t v = line.find("v=");
    if (v == std::string::npos) return line;
    return "redis-server " + line.substr(v + 2, line.find(' ', v) - v - 2);
  }

  std::optional<std::uint64_t> dead_letters() override { return stream_length("qlab:dead"); }

  // Acked entries are deleted, so the queue's stream holds what waits or is pending (preassigned: one stream
  // per consumer, not counted here). `pull` deletes an entry after reading it: one read by a consumer that died
  // before deleting it stays in the stream but is never delivered again, so there the consumer group's lag
  // (entries not yet delivered) is what the queue holds.
  std::optional<std::uint64_t> held() override {
    if (preassigned_) return std::nullopt;
    return pull_ ? group_lag() : stream_length("qlab:queue");
  }

  void start(const LaunchPlan& plan, Time timeout) override {
    preassigned_ = plan.queue.design == "preassigned";
    pull_ = plan.queue.design == "pull";
    SingleNodeLauncher::start(plan, timeout);
  }

 protected:
  std::string server_name() const override { return "redis"; }
  std::string program() const override { return "redis-server"; }

  std::vector<std::string> command(const LaunchPlan& plan, const Endpoint& endpoint, const std::string& data_dir) override {
    const RedisOptions o = redis_options(plan.backend_options);
    return {"--bind", endpoint.host, "--port", std::to_string(endpoint.port), "--dir", data_dir,
            "--save", "", "--appendonly", o.appendonly ? "yes" : "no", "--appendfsync", o.appendfsync,
            "--daemonize", "no", "--protected-mode", "no", "--logfile", ""};
  }

  // Ready once PING says PONG: while it loads its append-only file, Redis accepts connections but answers
  // -LOADING.
  bool ready(const Endpoint& endpoint) override {
    bool pong = false;
    ask(endpoint, {"PING"}, [&](const redisReply& r) {
      pong = r.type == REDIS_REPLY_STATUS && std::string_view(r.str, r.len) == "PONG";
    });
    return pong;
  }

 private:
  std::optional<std::uint64_t> stream_length(const char* key) {
    const std::vector<Endpoint> at = endpoints();
    if (at.empty()) return std::nullopt;
    std::optional<std::uint64_t> length;
    ask(at.front(), {"XLEN", key}, [&](const redisReply& r) {
      if (r.type == REDIS_REPLY_INTEGER) length = static_cast<std::uint64_t>(r.integer);
    });
    return length;
  }

  // The `lag` of group `qlab` (XINFO GROUPS); none before a consumer created the group, or when Redis cannot tell.
  std::optional<std::uint64_t> group_lag() {
    const std::vector<Endpoint> at = endpoints();
    if (at.empty()) return std::nullopt;
    std::optional<std::uint64_t> lag;
    ask(at.front(), {"XINFO", "GROUPS", "qlab:queue"}, [&](const redisReply& r) {
      if (r.type != REDIS_REPLY_ARRAY || r.elements != 1 || r.element[0]->type != REDIS_REPLY_ARRAY) return;
      const redisReply& group = *r.element[0];
      for (std::size_t f = 0; f + 1 < group.elements; f += 2) {
        const redisReply& name = *group.element[f];
        const redisReply& value = *group.element[f + 1];
        if (name.type == REDIS_REPLY_STRING && std::string_view(name.str, name.len) == "lag" &&
            value.type == REDIS_REPLY_INTEGER) {
          lag = static_cast<std::uint64_t>(value.integer);
        }
      }
    });
    return lag;
  }

  bool preassigned_ = false;
  bool pull_ = false;

  // One command on a short-lived connection; `on_reply` sees the reply when there is one.
  static void ask(const Endpoint& endpoint, std::vector<const char*> argv,
                  const std::function<void(const redisReply&)>& on_reply) {
    timeval tv{1, 0};
    redisContext* c = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
    if (c != nullptr && c->err == 0) {
      auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), nullptr));
      if (r != nullptr) on_reply(*r);
      if (r != nullptr) freeReplyObject(r);
    }
    if (c != nullptr) redisFree(c);
  }
};

}  // namespace

std::unique_ptr<BrokerLauncher> make_redis_launcher() { return std::make_unique<RedisLauncher>(); }

void check_redis(const Scenario& scenario, const nlohmann::json& backend_options) {
  require_design("redis", scenario.queue, {"visibility_timeout", "pull", "preassigned"});
  require_single_node("redis", scenario);
  if (flag_param(scenario.queue, "release_on_disconnect", false)) {
    cannot_express("redis", "release_on_disconnect",
                   "a consumer group does not notice a consumer's connection closing; deliveries wait for the timeout");
  }
  if (scenario.queue.design == "visibility_timeout" && int_param(scenario.queue, "visibility_timeout", kSecond) < kMillisecond) {
    cannot_express("redis", "visibility_timeout", "idle times are whole milliseconds (at least 1ms)");
  }
  redis_options(backend_options);
}

}  // namespace qlab::live
