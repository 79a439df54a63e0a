#include "flag_checks.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "workloads/scenario_error.hpp"

namespace qlab::cli {

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string expected = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) return "'" + text + "' is not a whole number (expected " + expected + ")";
        if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
          return "'" + text + "' is out of range (expected " + expected + ")";
        }
        return "";
      },
      "INT in [" + std::to_string(min) + " - " + std::to_string(max) + "]");
}

CLI::Validator seed_number() { return whole_number(0, std::numeric_limits<std::uint64_t>::max()); }

CLI::Validator positive_seconds(double max) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        const std::string expected = "(expected a number of seconds above 0 and at most " + std::to_string(static_cast<long long>(max)) + ")";
        if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
          return "'" + text + "' is not a number " + expected;
        }
        if (!(value > 0) || value > max) return "'" + text + "' is out of range " + expected;
        return "";
      },
      "SECONDS");
}

void check_output_path(const std::string& path, const std::string& flag, bool folder) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path target = fs::absolute(path, error);
  const auto fail = [&](const std::string& why) { throw workloads::ScenarioError(flag + " " + path + ": " + why); };
  if (error) fail(error.message());
  const bool exists = fs::exists(target, error);
  if (exists && folder && !fs::is_directory(target, error)) fail("exists and is not a folder");
  fs::path ancestor = exists && folder ? target : target.parent_path();
  while (!fs::exists(ancestor, error) && ancestor != ancestor.parent_path()) ancestor = ancestor.parent_path();
  if (!fs::is_directory(ancestor, error)) fail("cannot be created: " + ancestor.string() + " is not a folder");
  // Creating (and removing) a folder is the only reliable test: root passes access(2) on read-only places.
  std::string probe = (ancestor / ".qlab-probe-XXXXXX").string();
  if (::mkdtemp(probe.data()) == nullptr) {
    fail(std::string(exists ? "is not writable (" : "cannot be created (") + std::strerror(errno) + " in " + ancestor.string() + ")");
  }
  ::rmdir(probe.c_str());
}

}  // namespace qlab::cli
