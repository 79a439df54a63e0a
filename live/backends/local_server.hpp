#pragma once
// Small pieces every launcher of a real broker needs: a free port, the server binary, the log's tail.
#include <cstdint>
#include <filesystem>
#include <string>

namespace qlab::live {

// A TCP port on `host` that nothing listens on now (bound to port 0 and released; the server binds it next).
// Throws std::runtime_error.
std::uint16_t free_tcp_port(const std::string& host);
// `name` itself when it contains a '/', else the first executable `name` on PATH (then /usr/sbin, /sbin);
// "" when there is none.
std::string find_executable(const std::string& name);
// The last `bytes` bytes of a file (a server log for an error message); "" when it cannot be read.
std::string file_tail(const std::filesystem::path& file, std::size_t bytes = 2000);

}  // namespace qlab::live
