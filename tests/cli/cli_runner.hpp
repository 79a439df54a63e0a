#pragma once
// Runs the real qlab executable in a scratch folder and captures its exit code, stdout and stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qlab::cli::testing {

// A small scenario the tests run: 3 repetitions of a minute, one consumer crash.
constexpr const char* kSmallScenario = R"(name: small
seed: 5
repetitions: 3
duration: 60s
queue: {design: visibility_timeout, visibility_timeout: 2s}
producers: [{rate: 20/s}]
consumers: [{name: w, count: 3, service: {dist: exponential, mean: 100ms}}]
faults: [{at: 20s, action: crash, target: 'w[1]', restart_after: 5s}]
)";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The smallest valid scenario: one producer and one consumer for one second.
constexpr const char* kTinyScenario = "name: ok\nduration: 1s\nproducers: [{rate: 10/s}]\nconsumers: [{service: 10ms}]\n";

// The line of a printed metrics table that shows `key` ("" when there is none).
inline std::string table_line(const std::string& out, const std::string& key) {
  const std::size_t at = out.find("  " + key + " ");
  return at == std::string::npos ? "" : out.substr(at, out.find('\n', at) - at);
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class CliRunner {
 public:
  CliRunner() {
    dir_ = std::filesystem::temp_directory_path() /
           ("qlab-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~CliRunner() { std::filesystem::remove_all(dir_); }

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    std::ofstream(dir_ / name) << content;
    return dir_ / name;
  }
  // `arguments` is passed to the shell as written, after the binary, with the scratch folder as cwd.
  Outcome run(const std::string& arguments) const {
    const std::string command = "cd '" + dir_.string() + "' && '" QLAB_BINARY "' " + arguments + " >stdout.txt 2>stderr.txt";
    const int status = std::system(command.c_str());
    Outcome outcome;
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    outcome.out = read_file(dir_ / "stdout.txt");
    outcome.err = read_file(dir_ / "stderr.txt");
    return outcome;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

}  // namespace qlab::cli::testing
