#pragma once
// Runs the real qlab executable in a scratch folder and captures its exit code, stdout and stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qlab::cli::testing {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

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
