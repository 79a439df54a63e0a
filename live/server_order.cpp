#include "live/server_order.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include "live/agent.hpp"
#include "live/process_host.hpp"

namespace qlab::live {
namespace {

enum class Value { none, word, number, own_address, path, routes, fixed, node, erl_args };
struct Setting {
  Value value = Value::word;
  std::string fixed;  // Value::fixed: the one value allowed
};
struct ServerSpec {
  std::map<std::string, Setting> flags;  // each takes one value of its kind (none: no value)
  std::map<std::string, Setting> env;
};

// What every RabbitMQ program of a node (server and CLI) needs: its HOME (where its Erlang cookie is), its
// private epmd's port, its node name, and no configuration file of the system's.
std::map<std::string, Setting> rabbitmq_env(std::map<std::string, Setting> more) {
  more.insert({{"HOME", {Value::path, ""}},
               {"ERL_EPMD_PORT", {Value::number, ""}},
               {"RABBITMQ_NODENAME", {Value::node, ""}},
               {"RABBITMQ_CONF_ENV_FILE", {Value::fixed, "/dev/null"}},
               {"RABBITMQ_USE_LONGNAME", {Value::fixed, "true"}}});
  return more;
}

const std::map<std::string, ServerSpec> kServers = {
    {"redis-server",
     {{{"--bind", {}}, {"--port", {}}, {"--dir", {Value::path, ""}}, {"--save", {Value::fixed, ""}},
       {"--appendonly", {}}, {"--appendfsync", {}}, {"--daemonize", {Value::fixed, "no"}},
       {"--protected-mode", {Value::fixed, "no"}}, {"--logfile", {Value::fixed, ""}}},
      {}}},
    {"beanstalkd", {{{"-l", {}}, {"-p", {}}, {"-b", {Value::path, ""}}, {"-f", {}}}, {}}},
    {"nats-server",
     {{{"-a", {}}, {"-p", {}}, {"-n", {}}, {"-js", {Value::none, ""}}, {"-sd", {Value::path, ""}},
       {"--cluster_name", {}}, {"--cluster", {Value::routes, ""}}, {"--routes", {Value::routes, ""}}},
      {}}},
    {"epmd", {{{"-port", {Value::number, ""}}, {"-address", {Value::own_address, ""}}}, {}}},
    {"rabbitmq-server",
     {{},
      rabbitmq_env({{"RABBITMQ_NODE_IP_ADDRESS", {}},
                    {"RABBITMQ_NODE_PORT", {Value::number, ""}},
                    {"RABBITMQ_DIST_PORT", {Value::number, ""}},
                    {"RABBITMQ_MNESIA_BASE", {Value::path, ""}},
                    {"RABBITMQ_LOG_BASE", {Value::path, ""}},
                    {"RABBITMQ_LOGS", {Value::fixed, "-"}},
                    {"RABBITMQ_ENABLED_PLUGINS_FILE", {Value::path, ""}},
                    {"RABBITMQ_ALLOW_INPUT", {Value::fixed, "true"}},
                    {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", {Value::erl_args, ""}}})}},
    {"rabbitmq-queues",
     {{{"quorum_status", {}}, {"--formatter", {Value::fixed, "json"}}, {"-q", {Value::none, ""}},
       {"-n", {Value::node, ""}}},
      rabbitmq_env({})}},
};

// A word: an address, a port, a name, a setting (letters, digits and . _ : -, not a leading -).
bool is_word(const std::string& value) {
  return !value.empty() && !value.starts_with("-") && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::strchr("._:-", c) != nullptr;
  });
}

bool is_number(const std::string& value) {
  return !value.empty() && value.size() <= 9 &&
         std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// NAME@HOST, both words.
bool is_node(const std::string& value) {
  const std::size_t at = value.find('@');
  return at != std::string::npos && is_word(value.substr(0, at)) && is_word(value.substr(at + 1));
}

// Comma-separated nats-route://WORD URLs.
bool is_routes(const std::string& value) {
  std::stringstream urls(value);
  std::string url;
  std::size_t count = 0;
  while (std::getline(urls, url, ',')) {
    const std::string scheme = "nats-route://";
    if (!url.starts_with(scheme) || !is_word(url.substr(scheme.size()))) return false;
    ++count;
  }
  return count > 0;
}

// {['NODE','NODE',...],disc}
bool is_cluster_nodes(const std::string& value) {
  const std::string head = "{[", tail = "],disc}";
  if (!value.starts_with(head) || !value.ends_with(tail) || value.size() <= head.size() + tail.size()) return false;
  std::stringstream names(value.substr(head.size(), value.size() - head.size() - tail.size()));
  for (std::string name; std::getline(names, name, ',');) {
    if (name.size() < 3 || !name.starts_with("'") || !name.ends_with("'") || !is_node(name.substr(1, name.size() - 2))) {
      return false;
    }
  }
  return true;
}

// The loopback or the agent's own address (where it runs a node's epmd and Erlang distribution), dotted or
// as an Erlang tuple {A,B,C,D}.
bool is_own_address(const std::string& value, const std::string& own, bool tuple) {
  const auto as_tuple = [](std::string dotted) {
    std::replace(dotted.begin(), dotted.end(), '.', ',');
    return "{" + dotted + "}";
  };
  return tuple ? value == as_tuple("127.0.0.1") || value == as_tuple(own) : value == "127.0.0.1" || value == own;
}

// The Erlang VM arguments RabbitMQ's launcher passes, and only those: no shell, no epmd of the VM's own, the
// distribution on the loopback or the agent's address, the consumer timeout, guest admitted from other hosts,
// the cluster's members. Anything else (-eval, -s, a -kernel or -rabbit setting of another name) is refused.
bool is_erl_args(const std::string& value, const std::string& own_address) {
  std::stringstream in(value);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  if (words.empty()) return false;
  for (std::size_t i = 0; i < words.size();) {
    const auto next = [&](std::size_t k) { return i + k < words.size() ? words[i + k] : std::string(); };
    if (words[i] == "-noinput") {
      i += 1;
    } else if (words[i] == "-start_epmd" && next(1) == "false") {
      i += 2;
    } else if (words[i] == "-kernel" && next(1) == "inet_dist_use_interface" &&
               is_own_address(next(2), own_address, true)) {
      i += 3;
    } else if (words[i] == "-rabbit" && (next(1) == "consumer_timeout" || next(1) == "channel_tick_interval") &&
               is_number(next(2))) {
      i += 3;
    } else if (words[i] == "-rabbit" && next(1) == "loopback_users" && next(2) == "[]") {
      i += 3;
    } else if (words[i] == "-rabbit" && next(1) == "cluster_nodes" && is_cluster_nodes(next(2))) {
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

// Throws std::invalid_argument when `value` is not of the setting's kind (or, a path, outside `work_dir`).
void check_value(const std::string& work_dir, const std::string& own_address, const std::string& what,
                 const Setting& setting, const std::string& value) {
  const bool ok = setting.value == Value::word       ? is_word(value)
                  : setting.value == Value::number   ? is_number(value)
                  : setting.value == Value::own_address ? is_own_address(value, own_address, false)
                  : setting.value == Value::routes   ? is_routes(value)
                  : setting.value == Value::fixed    ? value == setting.fixed
                  : setting.value == Value::node     ? is_node(value)
                  : setting.value == Value::erl_args ? is_erl_args(value, own_address)
                                                     : std::filesystem::path(value).is_absolute();
  if (!ok) throw std::invalid_argument(what + " '" + value + "' is not admitted");
  if (setting.value == Value::path) confined_path(work_dir, value);
}

}  // namespace

ServerOrder checked_server_order(const std::string& work_dir, const std::string& own_address, const std::string& program,
                                 const nlohmann::json& args, const nlohmann::json& env) {
  const auto spec = kServers.find(program);
  if (spec == kServers.end()) {
    throw std::invalid_argument("the agent starts no program '" + program +
                                "' (only nats-server, redis-server, beanstalkd, epmd, rabbitmq-server and "
                                "rabbitmq-queues, besides qlab)");
  }
  ServerOrder order{{program}, {}};
  for (const auto& a : args) order.argv.push_back(a.get<std::string>());
  for (std::size_t i = 1; i < order.argv.size(); ++i) {
    const auto flag = spec->second.flags.find(order.argv[i]);
    if (flag == spec->second.flags.end()) {
      throw std::invalid_argument(program + ": flag '" + order.argv[i] + "' is not admitted");
    }
    if (flag->second.value == Value::none) continue;
    if (++i == order.argv.size()) throw std::invalid_argument(program + ": " + order.argv[i - 1] + " needs a value");
    check_value(work_dir, own_address, program + ": " + order.argv[i - 1], flag->second, order.argv[i]);
  }
  if (!env.is_null()) {
    for (const auto& [name, value] : env.items()) {
      const auto variable = spec->second.env.find(name);
      if (variable == spec->second.env.end()) {
        throw std::invalid_argument(program + ": environment variable '" + name + "' is not admitted");
      }
      const std::string text = value.get<std::string>();
      check_value(work_dir, own_address, program + ": " + name, variable->second, text);
      order.env[name] = text;
    }
  }
  order.argv[0] = server_executable(program);  // checked first, so a refusal does not depend on what is installed
  if (order.argv[0].empty()) throw std::runtime_error(program + " is not installed on this host");
  return order;
}

bool is_erlang_cookie(const std::string& value) {
  return value.size() >= 16 && value.size() <= 255 &&
         std::all_of(value.begin(), value.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace qlab::live
