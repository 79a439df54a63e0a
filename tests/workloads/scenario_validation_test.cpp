// One test per class of bad input: each checks the exact place (file:line:column or --set), the key path
// and what the message says was wrong and expected.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "load_helpers.hpp"
#include "workloads/yaml_document.hpp"

namespace qlab::workloads {
namespace {

using testing::error_of;
using testing::kMinimal;

TEST(ScenarioValidation, UnknownKeyIsPlacedOnTheKeyWithAHint) {
  EXPECT_EQ(error_of(kMinimal + "  - servce: 1s\n"),
            "s.yaml:7:5: consumers[1].servce: unknown key in a consumer group (did you mean 'service'? expected one of "
            "name, count, service, prefetch, autoscale, failure)");
  EXPECT_EQ(error_of(kMinimal + "colour: red\n"),
            "s.yaml:7:1: colour: unknown key in the scenario (expected one of name, description, seed, repetitions, "
            "duration, warmup, drain, drain_timeout, metrics, queue, producers, consumers, network, broker, faults, live)");
  EXPECT_EQ(error_of(kMinimal + "queue:\n  visibility: 5s\n  design: visibility_timeout\n"),
            "s.yaml:8:3: queue.visibility: unknown key in queue (design visibility_timeout) (did you mean "
            "'visibility_timeout'? expected one of design, visibility_timeout, max_receives, stale_ack, "
            "release_on_disconnect, redelivery_delay, redelivery_backoff, redelivery_delay_max, max_length, max_bytes, "
            "overflow, ttl, discarded)");
}

TEST(ScenarioValidation, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - count: four\n    service: 1s\n"),
            "s.yaml:6:12: consumers[0].count: 'four' is not a whole number (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of("name: {a: 1}\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:1:7: name: got a map (expected letters, digits, '-' and '_', e.g. hetero-pull)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers: {rate: 1/s}\nconsumers:\n  - service: 1s\n"),
            "s.yaml:3:12: producers: got a map (expected a list of producer groups)");
  EXPECT_EQ(error_of(kMinimal + "drain: maybe\n"), "s.yaml:7:8: drain: 'maybe' is not true or false (expected true or false)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    action: stall\n    target: consumers\n    duration: [1s]\n"),
            "s.yaml:11:15: faults[0].duration: got a list (expected a duration such as 250ms, 1.5s or 2m)");
}

TEST(ScenarioValidation, ABareNumberSaysWhichUnitIsMissing) {
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 5\n"),
            "s.yaml:6:14: consumers[0].service: '5' has no unit (expected one of ns, us, ms, s, m, h, e.g. 5s)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 7.2\nconsumers:\n  - service: 1s\n"),
            "s.yaml:4:11: producers[0].rate: '7.2' is not a rate (expected messages per unit of time, e.g. 7.2/s)");
}

TEST(ScenarioValidation, BadUnitsNameTheAcceptedOnes) {
  EXPECT_EQ(error_of("name: t\nduration: 10 days\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:2:11: duration: unknown duration unit 'days' (expected one of ns, us, ms, s, m, h)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\n    size: 4kb\nconsumers:\n  - service: 1s\n"),
            "s.yaml:5:11: producers[0].size: unknown size unit 'kb' (expected one of B, KB, KiB, MB, MiB, GB, GiB)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 3/day\nconsumers:\n  - service: 1s\n"),
            "s.yaml:4:11: producers[0].rate: unknown rate unit '/day' (expected /s, /m or /h)");
}

TEST(ScenarioValidation, OutOfRangeValuesAreRejected) {
  const std::string head = "name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n";
  EXPECT_EQ(error_of(head + "  - count: 0\n    service: 1s\n"),
            "s.yaml:6:12: consumers[0].count: '0' is out of range (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of(head + "  - count: -2\n    service: 1s\n"),
            "s.yaml:6:12: consumers[0].count: '-2' is out of range (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of(head + "  - prefetch: 0\n    service: 1s\n"),
            "s.yaml:6:15: consumers[0].prefetch: '0' is out of range (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 0/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:4:11: producers[0].rate: '0/s' is out of range (expected a rate > 0, e.g. 10/s)");
  EXPECT_EQ(error_of(kMinimal + "repetitions: 0\n"),
            "s.yaml:7:14: repetitions: '0' is out of range (expected a whole number from 1 to 4294967295)");
  EXPECT_EQ(error_of(head + "  - service: -1s\n"),
            "s.yaml:6:14: consumers[0].service: expected a duration such as 250ms, 1.5s or 2m, got '-1s'");
  EXPECT_EQ(error_of(kMinimal + "queue:\n  design: visibility_timeout\n  visibility_timeout: 0s\n"),
            "s.yaml:9:23: queue.visibility_timeout: '0s' is out of range (expected a duration > 0)");
}

TEST(ScenarioValidation, DistributionParametersAreChecked) {
  const std::string head = "name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: ";
  EXPECT_EQ(error_of(head + "{dist: pareto, mean: 1s, shape: 1}\n"),
            "s.yaml:6:46: consumers[0].service.shape: '1' is out of range (expected shape > 1 (the mean is infinite "
            "otherwise) and at most 1000000)");
  EXPECT_EQ(error_of(head + "{dist: uniform, min: 2s, max: 1s}\n"),
            "s.yaml:6:44: consumers[0].service.max: max '1s' is below min '2s' (expected min <= max)");
  EXPECT_EQ(error_of(head + "{dist: lognormal, mean: 1s, cv: -0.5}\n"),
            "s.yaml:6:46: consumers[0].service.cv: '-0.5' is out of range (expected cv from 0 to 1000: the standard "
            "deviation / mean)");
  EXPECT_EQ(error_of(head + "{dist: erlang, k: 2.5, mean: 1s}\n"),
            "s.yaml:6:32: consumers[0].service.k: '2.5' is not a whole number (expected a whole number from 1 to 10000)");
  EXPECT_EQ(error_of(head + "{dist: erlang, k: 0, mean: 1s}\n"),
            "s.yaml:6:32: consumers[0].service.k: '0' is out of range (expected a whole number from 1 to 10000)");
  EXPECT_EQ(error_of(head + "{dist: exponential, mean: 0s}\n"),
            "s.yaml:6:40: consumers[0].service.mean: '0s' is out of range (expected mean > 0)");
  EXPECT_EQ(error_of(head + "{dist: exponential, mean: 1s, shape: 2}\n"),
            "s.yaml:6:44: consumers[0].service.shape: unknown key in a exponential distribution (expected one of dist, "
            "mean)");
  EXPECT_EQ(error_of(head + "{dist: expo, mean: 1s}\n"),
            "s.yaml:6:21: consumers[0].service.dist: unknown distribution 'expo' (did you mean 'exponential'? expected "
            "one of constant, exponential, uniform, lognormal, pareto, erlang)");
  EXPECT_EQ(error_of(head + "{mean: 1s}\n"),
            "s.yaml:6:14: consumers[0].service.dist: missing required key (expected dist: one of constant, exponential, "
            "uniform, lognormal, pareto, erlang)");
}

TEST(ScenarioValidation, DesignSpecificKeysBelongToTheirDesign) {
  EXPECT_EQ(error_of(kMinimal + "queue:\n  design: pull\n  visibility_timeout: 5s\n"),
            "s.yaml:9:3: queue.visibility_timeout: visibility_timeout is a parameter of design visibility_timeout and "
            "replicated and fifo_groups, not of pull (expected queue.design: visibility_timeout, or no "
            "visibility_timeout)");
  EXPECT_EQ(error_of(kMinimal + "queue:\n  assignment: random\n"),
            "s.yaml:8:3: queue.assignment: assignment is a parameter of design preassigned and partitioned, not of "
            "pull (expected queue.design: preassigned, or no assignment)");
  EXPECT_EQ(error_of(kMinimal + "queue:\n  design: preassigned\n  assignment: sticky\n"),
            "s.yaml:9:15: queue.assignment: unknown assignment 'sticky' (expected one of round_robin, random, hash)");
}

TEST(ScenarioValidation, UnknownDesignListsTheRegisteredOnes) {
  EXPECT_EQ(error_of(kMinimal + "queue:\n  design: pul\n"),
            "s.yaml:8:11: queue.design: unknown design 'pul' (did you mean 'pull'? expected one of pull, preassigned, "
            "visibility_timeout, replicated, push, power_of_d, jsq, work_stealing, fifo_groups, partitioned, "
            "share_group)");
}

TEST(ScenarioValidation, GroupNamesAreUniqueAcrossProducersAndConsumers) {
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - name: web\n    rate: 1/s\nconsumers:\n  - name: web\n"
                     "    service: 1s\n"),
            "s.yaml:7:11: consumers[0].name: name 'web' is already used by producers[0] (expected names unique across "
            "producers and consumers)");
  EXPECT_EQ(error_of(kMinimal + "  - service: 2s\n  - name: consumers2\n    service: 3s\n"),
            "s.yaml:8:11: consumers[2].name: name 'consumers2' is already used by consumers[1] (expected names unique "
            "across producers and consumers)");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - name: producers\n    service: 1s\n"),
            "s.yaml:6:11: consumers[0].name: name 'producers' is already used by producers[0] (expected names unique "
            "across producers and consumers)");
  EXPECT_EQ(error_of(kMinimal + "  - name: fast worker\n    service: 1s\n"),
            "s.yaml:7:11: consumers[1].name: 'fast worker' is not a valid name (expected letters, digits, '-' and '_', "
            "e.g. hetero-pull)");
}

TEST(ScenarioValidation, ScenarioNameMustBeAPlainName) {
  EXPECT_EQ(error_of("name: hello world\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:1:7: name: 'hello world' is not a valid name (expected letters, digits, '-' and '_', e.g. "
            "hetero-pull)");
  EXPECT_EQ(error_of("duration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:1:1: name: missing required key (expected name: letters, digits, '-' and '_')");
}

TEST(ScenarioValidation, AScenarioMustBeAbleToEnd) {
  EXPECT_EQ(error_of("name: t\nproducers:\n  - name: a\n    rate: 1/s\n    messages: 10\n  - name: web\n"
                     "    rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:6:5: producers[1]: this scenario cannot end: group 'web' publishes without end and there is no "
            "duration (expected messages on every producer group, or a top-level duration)");
  EXPECT_EQ(error_of("name: t\nproducers:\n  - rate: 1/s\n    messages: 10\nconsumers:\n  - service: 1s\n"), "(accepted)");
}

TEST(ScenarioValidation, ArrivalKindsNeedTheirKeys) {
  EXPECT_EQ(error_of("name: t\nproducers:\n  - arrival: batch\nconsumers:\n  - service: 1s\n"),
            "s.yaml:3:5: producers[0].messages: batch arrival needs messages (expected messages: how many each producer "
            "publishes at once)");
  EXPECT_EQ(error_of("name: t\nduration: 1s\nproducers:\n  - arrival: constant\nconsumers:\n  - service: 1s\n"),
            "s.yaml:4:5: producers[0].rate: constant arrival needs a rate (expected rate: per producer, e.g. 10/s)");
  EXPECT_EQ(error_of("name: t\nduration: 1s\nproducers:\n  - count: 2\nconsumers:\n  - service: 1s\n"),
            "s.yaml:4:5: producers[0].rate: poisson arrival needs a rate (expected rate: per producer, e.g. 10/s)");
  EXPECT_EQ(error_of("name: t\nproducers:\n  - arrival: batch\n    messages: 5\n    rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:5:11: producers[0].rate: rate does not apply to batch arrival (expected messages, and at for when "
            "they are published)");
  EXPECT_EQ(error_of("name: t\nduration: 1s\nproducers:\n  - rate: 1/s\n    at: 5s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:5:9: producers[0].at: at applies only to batch arrival (expected arrival: batch, or no at)");
}

TEST(ScenarioValidation, FaultTargetsMustNameConsumers) {
  const std::string head = "name: t\nduration: 100s\nproducers:\n  - name: web\n    rate: 1/s\nconsumers:\n"
                           "  - name: fast\n    count: 4\n    service: 1s\nfaults:\n  - at: 10s\n    action: crash\n";
  EXPECT_EQ(error_of(head + "    target: fats\n"),
            "s.yaml:13:13: faults[0].target: unknown group 'fats' (did you mean 'fast'? expected a consumer group, GROUP[i], "
            "GROUP[i..j], any consumer or all consumers: one of fast)");
  EXPECT_EQ(error_of(head + "    target: web\n"),
            "s.yaml:13:13: faults[0].target: 'web' is a producer group, and this action targets consumers (expected a "
            "consumer group, GROUP[i], GROUP[i..j], any consumer or all consumers: one of fast)");
  EXPECT_EQ(error_of(head + "    target: fast[4]\n"),
            "s.yaml:13:13: faults[0].target: 'fast[4]' is out of range: fast has 4 members (expected member indexes "
            "from 0 to 3)");
  EXPECT_EQ(error_of(head + "    target: fast[3..1]\n"),
            "s.yaml:13:13: faults[0].target: 'fast[3..1]' is an empty range (expected GROUP[first..last] with first <= "
            "last)");
  EXPECT_EQ(error_of(head + "    target: broker\n"),
            "s.yaml:13:13: faults[0].target: the broker is not a target of this action (broker_crash crashes it) "
            "(expected a consumer group, GROUP[i], GROUP[i..j], any consumer or all consumers)");
  EXPECT_EQ(error_of(head + "    target: fast[x]\n"),
            "s.yaml:13:13: faults[0].target: 'fast[x]' is not a target (expected a consumer group, GROUP[i], GROUP[i..j], "
            "any consumer or all consumers)");
}

TEST(ScenarioValidation, UnknownFaultActionNamesTheKnownOnes) {
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    action: explode\n    target: consumers\n"),
            "s.yaml:9:13: faults[0].action: unknown action 'explode' (expected one of crash, stall, slow, broker_crash, "
            "partition, drop, delay, producer_crash)");
}

TEST(ScenarioValidation, FaultTimingIsAtOrEvery) {
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    every: 10s\n    action: crash\n    target: consumers\n"),
            "s.yaml:8:5: faults[0]: both at and every given (expected exactly one: at for a one-shot fault, every for a "
            "recurring one)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - action: crash\n    target: consumers\n"),
            "s.yaml:8:5: faults[0].at: neither at nor every given (expected at: a time, or every: a distribution of "
            "gaps)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    until: 5s\n    action: crash\n    target: consumers\n"),
            "s.yaml:9:12: faults[0].until: until applies only to recurring faults (expected every: ..., or no until)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - every: 0s\n    action: crash\n    target: consumers\n"),
            "s.yaml:8:12: faults[0].every: '0s' is out of range (expected a value > 0)");
}

TEST(ScenarioValidation, FaultActionsTakeTheirOwnKeys) {
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    action: stall\n    target: consumers\n"),
            "s.yaml:8:5: faults[0].duration: missing required key (expected duration: how long the stall lasts)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    action: stall\n    target: consumers\n    duration: 1s\n"
                                "    restart_after: 1s\n"),
            "s.yaml:12:20: faults[0].restart_after: restart_after applies only to crash, broker_crash, producer_crash "
            "(expected one of target, duration for a stall)");
  EXPECT_EQ(error_of(kMinimal + "faults:\n  - at: 1s\n    action: crash\n    target: consumers\n    duration: 1s\n"),
            "s.yaml:11:15: faults[0].duration: duration applies only to stall, slow, partition, drop, delay (expected one "
            "of target, restart_after for a crash)");
}

TEST(ScenarioValidation, DuplicateKeysPointAtTheSecond) {
  EXPECT_EQ(error_of(kMinimal + "duration: 5s\n"),
            "s.yaml:7:1: duration: duplicate key, first given at 2:1 (expected each key once)");
}

TEST(ScenarioValidation, WarmupMustEndBeforeDuration) {
  EXPECT_EQ(error_of(kMinimal + "warmup: 100s\n"),
            "s.yaml:7:9: warmup: warmup 100s is not shorter than duration 100s (expected warmup < duration)");
}

TEST(ScenarioValidation, SyntaxErrorsAndMissingFilesAreScenarioErrors) {
  EXPECT_EQ(error_of("name: t\nproducers: [1, 2\n"),
            "s.yaml:3:1: invalid YAML: end of sequence flow not found (expected a YAML map)");
  EXPECT_EQ(error_of(""), "s.yaml:1:1: the scenario is empty (expected a map with name, queue, producers and consumers)");
  try {
    load_scenario_file("/nonexistent/x.yaml");
    FAIL() << "a missing file was accepted";
  } catch (const ScenarioError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/x.yaml: cannot open (No such file or directory)");
  }
}

TEST(ScenarioValidation, ValuesFromOverridesArePlacedOnTheOverride) {
  EXPECT_EQ(error_of(kMinimal, {"consumers[0].count=abc"}),
            "--set consumers[0].count=abc: consumers[0].count: 'abc' is not a whole number (expected a whole number from "
            "1 to 4294967295)");
  EXPECT_EQ(error_of(kMinimal, {"consumers[0].service={dist: exponential}"}),
            "--set consumers[0].service={dist: exponential}: consumers[0].service.mean: missing required key (expected "
            "mean: a value > 0, e.g. 1s)");
  EXPECT_EQ(error_of(kMinimal, {"queue.visibilty_timeout=5s"}),
            "--set queue.visibilty_timeout=5s: queue.visibilty_timeout: unknown key in queue (design pull); did you mean "
            "visibility_timeout? It is a parameter of design visibility_timeout and replicated and fifo_groups, not of pull "
            "(expected queue.design: visibility_timeout, or one of design, max_length, max_bytes, overflow, ttl, discarded)");
}

// The cases of issue 10 item 9 that passed validation and then aborted or overflowed in `qlab run`.
TEST(ScenarioValidation, RatesAreLimitedByTheNanosecondClock) {
  const auto with_rate = [](const std::string& rate) {
    return error_of("name: t\nduration: 10s\nproducers:\n  - rate: " + rate + "\nconsumers:\n  - service: 1s\n");
  };
  EXPECT_EQ(with_rate("1e-300/s"),
            "s.yaml:4:11: producers[0].rate: '1e-300/s' is out of range (expected a rate of at least 0.000000001/s, one "
            "message in about 31.7 years)");
  EXPECT_EQ(with_rate("1e300/s"),
            "s.yaml:4:11: producers[0].rate: '1e300/s' is out of range: arrivals would be closer than the clock's 1ns "
            "apart (expected a rate of at most 1000000000/s)");
  EXPECT_EQ(with_rate("1e12/s"),
            "s.yaml:4:11: producers[0].rate: '1e12/s' is out of range: arrivals would be closer than the clock's 1ns "
            "apart (expected a rate of at most 1000000000/s)");
  EXPECT_EQ(with_rate("1000000000/s"), "(accepted)");
  EXPECT_EQ(with_rate("0.000000001/s"), "(accepted)");
}

TEST(ScenarioValidation, DistributionShapesKeepTheirArithmeticFinite) {
  const std::string head = "name: t\nduration: 10s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: ";
  EXPECT_EQ(error_of(head + "{dist: lognormal, mean: 1s, cv: 1e200}\n"),
            "s.yaml:6:46: consumers[0].service.cv: '1e200' is out of range (expected cv from 0 to 1000: the standard "
            "deviation / mean)");
  EXPECT_EQ(error_of(head + "{dist: pareto, mean: 1s, shape: 1e308}\n"),
            "s.yaml:6:46: consumers[0].service.shape: '1e308' is out of range (expected shape > 1 (the mean is infinite "
            "otherwise) and at most 1000000)");
  EXPECT_EQ(error_of(head + "{dist: lognormal, mean: 1s, cv: 1000}\n"), "(accepted)");
  EXPECT_EQ(error_of(head + "{dist: pareto, mean: 1s, shape: 1000000}\n"), "(accepted)");
}

TEST(ScenarioValidation, SlowFactorStaysConvertibleToNanoseconds) {
  const std::string slow = kMinimal + "faults:\n  - {at: 1s, action: slow, target: consumers, duration: 1s, factor: ";
  EXPECT_EQ(error_of(slow + "1e308}\n"),
            "s.yaml:8:69: faults[0].factor: '1e308' is out of range (expected a factor of at most 1000000 whose product "
            "with the longest mean service stays within the clock's horizon of 146 years)");
  EXPECT_EQ(error_of(slow + "1000000}\n"), "(accepted)");
  // 2 x a mean service of 114 years is beyond 2^62 ns although the factor alone is allowed.
  EXPECT_NE(error_of("name: t\nduration: 100s\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1000000h\nfaults:\n"
                     "  - {at: 1s, action: slow, target: consumers, duration: 1s, factor: 2}\n")
                .find("faults[0].factor: '2' is out of range"),
            std::string::npos);
}

TEST(ScenarioValidation, TheRunMustEndWithinTheClocksHorizon) {
  EXPECT_EQ(error_of("name: t\nproducers:\n  - rate: 1000/s\n    messages: 9223372036854775807\nconsumers:\n  - service: 1ms\n"),
            "s.yaml:4:15: producers[0].messages: 9223372036854775807 messages at 1000/s take 292271023 years, beyond the "
            "clock's horizon of 146 years (expected fewer messages or a higher rate)");
  EXPECT_EQ(error_of("name: t\nduration: 1000000h\ndrain_timeout: 1000000h\nproducers:\n  - rate: 1/s\nconsumers:\n"
                     "  - service: 1s\n"),
            "s.yaml:3:16: drain_timeout: duration 1000000h + drain_timeout 1000000h is beyond the clock's horizon of 146 "
            "years (expected a shorter duration or drain_timeout)");
  EXPECT_EQ(error_of("name: t\nduration: 1000000h\ndrain_timeout: 1000000h\ndrain: false\nproducers:\n  - rate: 1/s\n"
                     "consumers:\n  - service: 1s\n"),
            "(accepted)");
  // Just below 2^62 ns, which the unit parser allows, plus the default drain_timeout.
  EXPECT_EQ(error_of("name: t\nduration: 1281000h\nproducers:\n  - rate: 1/s\nconsumers:\n  - service: 1s\n"),
            "s.yaml:2:11: duration: duration 1281000h + drain_timeout 24h is beyond the clock's horizon of 146 years "
            "(expected a shorter duration or drain_timeout)");
}

TEST(ScenarioValidation, MessageSizesFitIn32Bits) {
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\n    size: 4GiB\nconsumers:\n  - service: 1s\n"),
            "s.yaml:5:11: producers[0].size: '4GiB' is out of range (expected a size below 4GiB (message sizes are "
            "32-bit))");
  EXPECT_EQ(error_of("name: t\nduration: 10s\nproducers:\n  - rate: 1/s\n    size: 4294967295B\nconsumers:\n  - service: 1s\n"),
            "(accepted)");
}

// Issue 10 item 10: deep nesting was "invalid YAML: bad file".
TEST(ScenarioValidation, DeepNestingSaysHowDeep) {
  const auto nested = [](int depth) { return "name: " + std::string(depth, '[') + std::string(depth, ']') + "\n"; };
  EXPECT_EQ(error_of(nested(100)), "s.yaml:1:71: nesting deeper than 64 levels (expected a YAML map)");
  // Deep enough for yaml-cpp's own recursion guard: the same message, at the parser's position.
  EXPECT_EQ(error_of(nested(5000)).substr(0, 9), "s.yaml:1:");
  EXPECT_NE(error_of(nested(5000)).find(": nesting deeper than 64 levels (expected a YAML map)"), std::string::npos);
  EXPECT_EQ(error_of(nested(60)).find("nesting"), std::string::npos);
}

TEST(ScenarioValidation, AliasExpansionIsBounded) {
  // Each level doubles the references: 2^30 values if the aliases were expanded.
  std::string yaml = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 30; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  }
  EXPECT_NE(error_of(yaml).find("more than 1000000 values, counting each alias as often as it is used"), std::string::npos)
      << error_of(yaml);
}

TEST(ScenarioValidation, FoldersAndDevicesAreNotScenarioFiles) {
  for (const auto& [file, message] : {std::pair<std::string, std::string>{"/tmp", "/tmp: is a folder (expected a scenario file)"},
                                      {"/dev/zero", "/dev/zero: is not a regular file (expected a scenario file)"}}) {
    try {
      load_scenario_file(file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const ScenarioError& e) {
      EXPECT_EQ(e.what(), message);
    }
  }
}

// A file is read in chunks up to the size limit: one spanning several chunks loads whole, and one a byte
// over the limit is refused by size.
TEST(ScenarioValidation, FilesAreReadWholeUpToTheSizeLimit) {
  const std::string path = ::testing::TempDir() + "qlab-size-limit.yaml";
  const auto write = [&path](const std::string& text) { std::ofstream(path, std::ios::binary) << text; };
  std::string padded = "# " + std::string(300000, 'x') + "\n" + kMinimal;
  write(padded);
  EXPECT_EQ(load_scenario_file(path).producers.size(), 1U);
  padded.insert(0, "#" + std::string(static_cast<std::size_t>(kMaxYamlFileBytes) - padded.size() - 1, 'x') + "\n");
  ASSERT_EQ(padded.size(), static_cast<std::size_t>(kMaxYamlFileBytes) + 1);
  write(padded);
  try {
    load_scenario_file(path);
    ADD_FAILURE() << "a file over the limit was accepted";
  } catch (const ScenarioError& e) {
    EXPECT_EQ(e.what(), path + ": larger than 16 MiB (expected a scenario file)");
  }
  std::remove(path.c_str());
}

TEST(ScenarioValidation, TextMustBeUtf8) {
  // Found by the scenario loader fuzzer: results are JSON, and writing them threw on such text.
  EXPECT_EQ(error_of(kMinimal + "description: drain\xC3ing\n"),
            "s.yaml:7:14: text that is not valid UTF-8 (expected a YAML map)");
  EXPECT_EQ(error_of(kMinimal, {"description=a\xE0\x80\xAF"}),
            "--set description=a\xE0\x80\xAF: description: text that is not valid UTF-8 (expected free text)");
  EXPECT_EQ(error_of(kMinimal + "description: \"caf\xC3\xA9 \xF0\x9F\x98\x80\"\n"), "(accepted)");
}

}  // namespace
}  // namespace qlab::workloads
