#!/usr/bin/python3
"""`qlab live` in local mode, end to end: a broker, producer and consumer processes, real SIGKILL/SIGSTOP
faults; the results files must have mode "live", account for every message, and satisfy conservation.

Usage: live_local_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

QLAB = None
SOURCE_DIR = None
WORK_DIRS = []


def work_dir(prefix):
    path = tempfile.mkdtemp(prefix=prefix)
    WORK_DIRS.append(path)
    return path


def tearDownModule():
    for path in WORK_DIRS:
        shutil.rmtree(path, ignore_errors=True)

CRASH_AND_STALL = """
name: live-crash
seed: 3
duration: 3s
queue:
  design: {design}
{queue_extra}
producers:
  - name: p
    rate: 300/s
consumers:
  - name: w
    count: 3
    service: {{dist: exponential, mean: 5ms}}
    prefetch: 4
faults:
  - at: 800ms
    action: crash
    target: w[1]
    restart_after: 700ms
  - at: 1500ms
    action: stall
    target: w[2]
    duration: 400ms
"""


def run_live(scenario_text, *extra):
    work = work_dir("qlab-live-test-")
    scenario = os.path.join(work, "scenario.yaml")
    with open(scenario, "w") as f:
        f.write(scenario_text)
    out = os.path.join(work, "out")
    done = subprocess.run([QLAB, "live", scenario, "--out", out, *extra], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError("qlab live failed (%d):\n%s\n%s" % (done.returncode, done.stdout, done.stderr))
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return summary, out, done


def metrics(summary):
    return summary["runs"][0]["metrics"]


class LiveLocal(unittest.TestCase):
    def assert_conservation(self, m):
        self.assertEqual(m["published"], m["unique_processed"] + m["dead_lettered"] + m["lost"] + m["remaining"])

    def test_visibility_timeout_loses_nothing_through_a_crash_and_a_stall(self):
        summary, out, done = run_live(CRASH_AND_STALL.format(design="visibility_timeout",
                                                             queue_extra="  visibility_timeout: 200ms"))
        self.assertEqual(summary["mode"], "live")
        m = metrics(summary)
        self.assert_conservation(m)
        self.assertGreater(m["published"], 600)  # about 900 expected at 300/s for 3 s
        self.assertEqual(m["lost"], 0)
        self.assertEqual(m["remaining"], 0)
        self.assertEqual(m["unique_processed"], m["published"])
        self.assertGreaterEqual(m["processed"], m["unique_processed"])
        self.assertIn("fault: crash w[1]", done.stderr)
        self.assertIn("fault: stall w[2]", done.stderr)
        with open(os.path.join(out, "faults.csv")) as f:
            actions = sorted(row["action"] for row in csv.DictReader(f))
        self.assertEqual(actions, ["crash", "stall"])
        with open(os.path.join(out, "timeseries.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertGreater(len(rows), 10)
        self.assertEqual(sum(int(r["published"]) for r in rows), m["published"])

    def test_pull_design_accounts_for_what_a_crash_loses(self):
        summary, _, _ = run_live(CRASH_AND_STALL.format(design="pull", queue_extra=""))
        m = metrics(summary)
        self.assert_conservation(m)
        self.assertEqual(m["remaining"], 0)
        self.assertEqual(m["duplicates"], 0)  # at-most-once: nothing is delivered twice

    def test_a_broker_crash_is_survived_by_reconnecting_clients(self):
        scenario = CRASH_AND_STALL.format(design="visibility_timeout", queue_extra="  visibility_timeout: 200ms")
        scenario = scenario.split("faults:")[0] + """faults:
  - at: 1s
    action: broker_crash
    target: broker
    restart_after: 300ms
"""
        summary, out, done = run_live(scenario)
        m = metrics(summary)
        self.assert_conservation(m)
        self.assertGreater(m["published"], 600)  # publishing went on after the restart
        self.assertEqual(m["remaining"], 0)
        self.assertIn("fault: broker_crash", done.stderr)
        with open(os.path.join(out, "faults.csv")) as f:
            [window] = list(csv.DictReader(f))
        self.assertEqual(window["action"], "broker_crash")
        self.assertAlmostEqual(float(window["end"]) - float(window["start"]), 0.3, delta=0.2)

    def test_partition_and_delay_through_the_fault_proxies(self):
        # w1 is cut off for 1 s (> the 300 ms visibility timeout): its messages go to w2, its late acks are
        # stale, its processing counts as duplicates. Publishes are delayed 50 ms for 300 ms.
        scenario = """
name: live-net
seed: 11
duration: 3s
queue: {design: visibility_timeout, visibility_timeout: 300ms}
producers: [{name: p, rate: 200/s}]
consumers:
  - {name: w1, count: 2, service: {dist: exponential, mean: 5ms}, prefetch: 4}
  - {name: w2, count: 2, service: {dist: exponential, mean: 5ms}, prefetch: 4}
faults:
  - {at: 1s, action: partition, target: w1, duration: 1s}
  - {at: 500ms, action: delay, hop: "producer->broker", extra: 50ms, duration: 300ms}
"""
        summary, out, done = run_live(scenario)
        m = metrics(summary)
        self.assert_conservation(m)
        self.assertEqual(m["lost"], 0)
        self.assertEqual(m["unique_processed"], m["published"])
        self.assertGreater(m["redeliveries"], 0)
        self.assertGreater(m["duplicates"], 0)
        self.assertGreaterEqual(m["publish_latency_p99"], 0.045)
        with open(os.path.join(out, "faults.csv")) as f:
            actions = sorted(row["action"] for row in csv.DictReader(f))
        self.assertEqual(actions, ["delay", "partition"])  # one window per occurrence, as simulated

    def test_slow_multiplies_service_times_for_its_window(self):
        # 40 messages/s of 2 ms work; for 1 s of the 3 s the consumer is 10x slower: busy ~0.16 + 0.8 s.
        scenario = """
name: live-slow
duration: 3s
queue: {design: visibility_timeout, visibility_timeout: 5s}
producers: [{name: p, rate: 40/s, arrival: constant}]
consumers: [{name: w, count: 1, service: 2ms}]
faults:
  - {at: 1s, action: slow, target: w, factor: 10, duration: 1s}
"""
        summary, out, _ = run_live(scenario)
        self.assert_conservation(metrics(summary))
        with open(os.path.join(out, "consumers.csv")) as f:
            [row] = list(csv.DictReader(f))
        self.assertAlmostEqual(float(row["busy_seconds"]), 0.96, delta=0.15)

    def test_a_crashed_producer_restarts_and_publishes_nothing_while_down(self):
        # Two constant-rate producers of 100/s for 3 s; p[0] is down for 0.5 s: about 300 + 250 messages.
        scenario = """
name: live-producer-crash
duration: 3s
queue: {design: visibility_timeout, visibility_timeout: 1s}
producers: [{name: p, count: 2, rate: 100/s, arrival: constant}]
consumers: [{name: w, count: 2, service: 2ms}]
faults:
  - {at: 1s, action: producer_crash, target: "p[0]", restart_after: 500ms}
"""
        summary, out, done = run_live(scenario)
        m = metrics(summary)
        self.assert_conservation(m)
        self.assertEqual(m["lost"], 0)
        self.assertAlmostEqual(m["published"] + m["lost_unconfirmed_publish"], 550, delta=15)
        self.assertIn("fault: producer_crash p[0]", done.stderr)

    def test_time_scale_reports_in_scenario_time(self):
        # 200 messages at once to 2 consumers of constant 1 s service, run 200x faster: makespan ~100 s.
        scenario = """
name: scaled
queue: {design: pull}
producers: [{name: b, arrival: batch, messages: 200}]
consumers: [{name: c, count: 2, service: 1s}]
"""
        summary, _, _ = run_live(scenario, "--time-scale", "0.005")
        m = metrics(summary)
        self.assertEqual(m["unique_processed"], 200)
        self.assertAlmostEqual(m["makespan"], 100.0, delta=15.0)
        print("\n  scaled batch: live makespan %.1f s (ideal 100 s) in %.2f s of wall time"
              % (m["makespan"], m["wall_seconds"]))


class SimVersusLive(unittest.TestCase):
    """The heterogeneous-consumers example (8 fast, 8 slow consumers draining one batch), with service times
    scaled to milliseconds: live makespans must be within 10% of the simulated ones."""

    def compare(self, design):
        example = os.path.join(SOURCE_DIR, "workloads", "examples", "hetero.yaml")
        sets = ["--set", "queue.design=" + design, "--set", "producers[0].messages=4000"]
        work = work_dir("qlab-compare-")
        sim_dir, live_dir = os.path.join(work, "sim"), os.path.join(work, "live")
        subprocess.run([QLAB, "run", example, "--out", sim_dir, "--reps", "5", *sets], check=True,
                       capture_output=True, timeout=120)
        subprocess.run([QLAB, "live", example, "--out", live_dir, "--reps", "1", "--time-scale", "0.05", *sets],
                       check=True, capture_output=True, timeout=120)
        table = os.path.join(work, "compare.json")
        shown = subprocess.run([QLAB, "compare", sim_dir, live_dir, "--metrics", "makespan,latency_mean,lost",
                                "--out", table], check=True, capture_output=True, text=True, timeout=60)
        print("\n" + shown.stdout)
        with open(table) as f:
            rows = {row["metric"]: row for row in json.load(f)["metrics"]}
        self.assertEqual(rows["lost"]["live"], 0)
        self.assertLess(abs(rows["makespan"]["relative"]), 0.10,
                        "%s: live makespan %.1f s vs simulated %.1f s" % (design, rows["makespan"]["live"],
                                                                          rows["makespan"]["sim"]))

    def test_pull(self):
        self.compare("pull")

    def test_preassigned(self):
        self.compare("preassigned")


if __name__ == "__main__":
    QLAB, SOURCE_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
