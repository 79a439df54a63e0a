#pragma once
// What an agent checks before it starts a real broker's server for a coordinator: the program is one of the
// brokers' (a name the agent resolves itself, never a path), every flag and environment variable is one its
// launcher uses, and every value has its kind (a word, a number, a path inside the work folder, a RabbitMQ
// node name, the loopback or the agent's own address, one fixed value, ...). docs/SECURITY.md lists them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/child_process.hpp"

namespace qlab::live {

struct ServerOrder {
  std::vector<std::string> argv;  // argv[0]: the program's executable on this host
  Environment env;                // on top of the agent's environment
};

// The order to start `program` with `args` (a JSON array of strings) and `env` (a JSON object of strings, or
// null) whose paths stay inside `work_dir` and whose Erlang listeners are on the loopback or `own_address`
// (the agent's). Throws std::invalid_argument naming what is not admitted, and
// std::runtime_error when the program is not installed on this host.
ServerOrder checked_server_order(const std::string& work_dir, const std::string& own_address, const std::string& program,
                                 const nlohmann::json& args, const nlohmann::json& env);

// An Erlang cookie an agent writes: 16 to 255 letters and digits.
bool is_erlang_cookie(const std::string& value);

}  // namespace qlab::live
