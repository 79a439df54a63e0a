// The memory estimate `qlab run` and `qlab suite` check before starting: each item scales as documented,
// the scenarios of issue 10 item 9 that grew memory without bound are estimated far beyond any machine, and
// the examples are estimated small.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "load_helpers.hpp"
#include "workloads/memory_estimate.hpp"

namespace qlab::workloads {
namespace {

using testing::load;

constexpr double kTiB = 1024.0 * 1024 * 1024 * 1024;

double estimate(const std::string& yaml, const std::vector<std::string>& sets = {}, unsigned parallel = 1) {
  return estimate_memory(load(yaml, sets), parallel).bytes;
}

// 10 messages/s offered to a consumer that serves 1000/s: nothing waits.
const std::string kSmall = "name: t\nduration: 10s\nproducers:\n  - rate: 10/s\nconsumers:\n  - service: 1ms\n";

TEST(MemoryEstimate, EachItemCostsWhatTheDocumentationSays) {
  const double base = estimate(kSmall);
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"consumers[0].count=1001"}) - base, 1000 * kBytesPerConsumer);
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"producers[0].count=11"}) - base, 10 * kBytesPerProducer);
  // Only a design that cannot tell which messages it may still name costs a ledger entry per message.
  const double replicated = estimate(kSmall, {"queue.design=replicated"});
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"queue.design=replicated", "producers[0].count=11"}) - replicated,
                   10 * kBytesPerProducer + 1000 * kBytesPerMessage);
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"repetitions=11"}) - base, 10 * kBytesPerRepetitionResult);
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"metrics.interval=1ms"}) - base, (10'000 - 1000) * kBytesPerMetricsPoint);
  EXPECT_DOUBLE_EQ(estimate(kSmall + "faults:\n  - {every: 10ms, action: stall, target: consumers, duration: 1ms}\n") - base,
                   1000 * kBytesPerFaultOccurrence);
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"queue={design: replicated, replicas: 11}"}) -
                       estimate(kSmall, {"queue={design: replicated, replicas: 1}"}),
                   10 * kBytesPerReplica);
}

TEST(MemoryEstimate, MessagesThatOutpaceTheConsumersWait) {
  // 10000/s offered to a consumer that finishes 1000/s: 9000 more wait each second of the 10 s.
  const double base = estimate(kSmall, {"producers[0].rate=1000/s"});
  EXPECT_DOUBLE_EQ(estimate(kSmall, {"producers[0].rate=10000/s"}) - base, 90'000 * kBytesPerWaitingMessage);
  // A batch waits as a whole.
  const double batch = estimate("name: t\nproducers:\n  - arrival: batch\n    messages: 1000\nconsumers:\n  - service: 1ms\n");
  EXPECT_DOUBLE_EQ(batch - estimate("name: t\nproducers:\n  - arrival: batch\n    messages: 1\nconsumers:\n  - service: 1ms\n"),
                   999 * kBytesPerWaitingMessage);
}

TEST(MemoryEstimate, RepetitionsRunAtOnceMultiplyTheRun) {
  const std::string yaml = kSmall + "repetitions: 4\n";
  const double one = estimate(yaml, {"consumers[0].count=100000"}, 1);
  const double three = estimate(yaml, {"consumers[0].count=100000"}, 3);
  const double per_run = one - kBaseBytes - 4 * kBytesPerRepetitionResult;
  EXPECT_NEAR(three - one, 2 * per_run, per_run * 1e-9);
  EXPECT_DOUBLE_EQ(estimate(yaml, {"consumers[0].count=100000"}, 16), estimate(yaml, {"consumers[0].count=100000"}, 4));
}

TEST(MemoryEstimate, TraceKeepsEveryMessagesHistoryOfEveryRepetition) {
  const Scenario s = load(kSmall + "repetitions: 3\n");
  const MemoryEstimate plain = estimate_memory(s, 1);
  const MemoryEstimate traced = estimate_memory(s, 1, true);
  EXPECT_DOUBLE_EQ(traced.bytes - plain.bytes, 3 * plain.messages * kBytesPerTracedMessage);
  const MemoryEstimate many = estimate_memory(load(kSmall, {"producers[0].rate=100000/s"}), 1, true);
  EXPECT_EQ(many.largest.rfind("traced messages: ", 0), 0u) << many.largest;
}

TEST(MemoryEstimate, TheUnboundedCasesOfIssue10AreFarBeyondAnyMachine) {
  EXPECT_GT(estimate(kSmall, {"consumers[0].count=4294967295"}), 5 * kTiB);
  EXPECT_GT(estimate(kSmall, {"consumers[0].count=100000000"}), 0.125 * kTiB);
  EXPECT_GT(estimate(kSmall, {"metrics.interval=1ns"}), 0.5 * kTiB);
  EXPECT_GT(estimate(kSmall + "faults:\n  - {every: 1ns, action: stall, target: consumers, duration: 1ns}\n"), kTiB);
  EXPECT_GT(estimate(kSmall, {"queue={design: replicated, replicas: 100000000}"}), 0.25 * kTiB);
  EXPECT_GT(estimate("name: t\nduration: 10h\nproducers:\n  - rate: 1000000/s\n    messages: 9223372036854775807\n"
                     "consumers:\n  - service: 1ms\n"),
            kTiB);
  const MemoryEstimate e = estimate_memory(load(kSmall, {"consumers[0].count=4294967295"}), 1);
  EXPECT_EQ(e.largest, "consumers: 4.3e+09 x 1.5 KiB");
}

TEST(MemoryEstimate, TheExamplesAreSmall) {
  const std::filesystem::path examples = std::filesystem::path(QLAB_SOURCE_DIR_FALLBACK) / "workloads/examples";
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() != ".yaml") continue;  // a trace example's CSV
    EXPECT_LT(estimate_memory(load_scenario_file(entry.path().string()), 2).bytes, 256.0 * (1 << 20)) << entry.path();
  }
}

TEST(MemoryEstimate, RefusedAboveTheAvailableMemoryUnlessForced) {
  ASSERT_TRUE(available_memory().has_value()) << "/proc/meminfo has no MemAvailable";
  MemoryEstimate huge;
  huge.bytes = *available_memory() * 4;
  huge.largest = "consumers: 1e+12 x 1.5 KiB";
  try {
    check_memory(huge, "s.yaml", false);
    FAIL() << "an estimate above the available memory was accepted";
  } catch (const ScenarioError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.substr(0, 35), "s.yaml: the run needs an estimated ");
    EXPECT_NE(message.find("(largest part: consumers: 1e+12 x 1.5 KiB) (expected a smaller scenario, or --force to run anyway)"),
              std::string::npos)
        << message;
  }
  EXPECT_NO_THROW(check_memory(huge, "s.yaml", true));
  EXPECT_NO_THROW(check_memory(estimate_memory(load(kSmall), 1), "s.yaml", false));
}

TEST(MemoryEstimate, BytesAreWrittenInBinaryUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(300.0 * (1 << 20)), "300 MiB");
  EXPECT_EQ(format_bytes(6.0 * kTiB), "6.0 TiB");
}

}  // namespace
}  // namespace qlab::workloads
