#pragma once
// Shared by the bench tests: a scratch folder with a tiny scenario, suites written into it, and file reads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "bench/suite.hpp"
#include "bench/suite_runner.hpp"
#include "workloads/scenario_error.hpp"

namespace qlab::bench::testing {

// 200 messages at t=0 to two fast and two slow consumers: a run takes about a millisecond.
inline const std::string kTinyScenario =
    "name: tiny\n"
    "seed: 5\n"
    "queue:\n"
    "  design: pull\n"
    "producers:\n"
    "  - arrival: batch\n"
    "    messages: 200\n"
    "consumers:\n"
    "  - name: fast\n"
    "    count: 2\n"
    "    service: {dist: exponential, mean: 10ms}\n"
    "  - name: slow\n"
    "    count: 2\n"
    "    service: {dist: exponential, mean: 40ms}\n";

// Two designs x two slow speeds, and a zipped run: 6 points, 3 repetitions each.
inline const std::string kTinySuite =
    "name: tiny-suite\n"
    "repetitions: 3\n"
    "runs:\n"
    "  - scenario: tiny.yaml\n"
    "    sweep:\n"
    "      queue.design: [pull, preassigned]\n"
    "      consumers[1].service.mean: [20ms, 40ms]\n"
    "    plot: {x: 'consumers[1].service.mean', metrics: [makespan]}\n"
    "  - name: zipped\n"
    "    scenario: tiny.yaml\n"
    "    set:\n"
    "      consumers[0].count: 3\n"
    "    zip:\n"
    "      consumers[1].count: [1, 2]\n"
    "      consumers[1].service.mean: [30ms, 60ms]\n";

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh folder per test holding tiny.yaml; removed afterwards.
class SuiteFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("qlab-bench-" + std::to_string(getpid()) + "-" + info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    write("tiny.yaml", kTinyScenario);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  Suite load(const std::string& text) const { return load_suite_file(write("s.yaml", text).string()); }

  // The ScenarioError message with the folder prefix removed, or "(accepted)".
  std::string error_of(const std::string& text) const {
    try {
      load(text);
    } catch (const workloads::ScenarioError& e) {
      std::string message = e.what();
      for (std::size_t at; (at = message.find(dir_.string() + "/")) != std::string::npos;) {
        message.erase(at, dir_.string().size() + 1);
      }
      return message;
    }
    return "(accepted)";
  }

  SuiteOptions options_for(const std::string& out, unsigned jobs, bool resume = false) const {
    SuiteOptions options;
    options.out = dir_ / out;
    options.jobs = jobs;
    options.resume = resume;
    return options;
  }

  SuiteOutcome run(const Suite& suite, const std::string& out, unsigned jobs, bool resume = false) const {
    return run_suite(suite, options_for(out, jobs, resume));
  }

  static std::string read(const std::filesystem::path& file) { return read_text(file); }

  std::filesystem::path dir_;
};

}  // namespace qlab::bench::testing
