#!/usr/bin/python3
"""`qlab live` as the simulator's twin (docs/LIVE.md, "Sim and live"): for the same seed and repetition both modes
draw the same arrivals and fault schedule, mean the same thing by every metric, treat an unavailable broker the
same way, crash a replicated design's nodes inside the broker, and a live run whose broker dies unscheduled ends
at once with its results marked incomplete. Every run goes through the real executable.

Usage: live_twin_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

QLAB = None
WORK = None


def setUpModule():
    global WORK
    WORK = tempfile.mkdtemp(prefix="qlab-twin-test-")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def scenario_file(name, text):
    path = os.path.join(WORK, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(mode, scenario, out, *extra, check=True):
    """`qlab run` (mode "run") or `qlab live` into WORK/out; returns (summary, folder, completed process)."""
    folder = os.path.join(WORK, out)
    done = subprocess.run([QLAB, mode, scenario, "--out", folder, *extra], capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError("qlab %s failed (%d):\n%s\n%s" % (mode, done.returncode, done.stdout, done.stderr))
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f), folder, done


def rows(folder, name):
    with open(os.path.join(folder, name)) as f:
        return list(csv.DictReader(f))


def mean(summary, key):
    return summary["metrics"][key]["mean"]


RECURRING_CRASHES = """
name: twin-crashes
seed: 11
repetitions: 2
duration: 20s
queue: {design: visibility_timeout, visibility_timeout: 1s}
producers: [{name: p, rate: 40/s}]
consumers: [{name: w, count: 4, service: {dist: exponential, mean: 50ms}, prefetch: 2}]
faults:
  - every: {dist: exponential, mean: 4s}
    until: 16s
    action: crash
    target: any consumer
    restart_after: 2s
  - every: {dist: exponential, mean: 6s}
    until: 16s
    action: stall
    target: w[0]
    duration: 1s
"""


class SameDrawsSameSchedule(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        path = scenario_file("crashes", RECURRING_CRASHES)
        cls.sim, cls.sim_dir, _ = run("run", path, "crashes-sim", "--trace")
        cls.live, cls.live_dir, _ = run("live", path, "crashes-live", "--time-scale", "0.1")

    def test_every_repetition_has_the_simulated_fault_times_and_targets(self):
        sim = [(r["repetition"], r["action"], r["target"], r["start"], r["end"]) for r in rows(self.sim_dir, "faults.csv")]
        live = [(r["repetition"], r["action"], r["target"], r["start"], r["end"]) for r in rows(self.live_dir, "faults.csv")]
        self.assertGreater(len(sim), 4)
        self.assertEqual(live, sim)

    def test_repetitions_carry_the_same_seeds(self):
        self.assertEqual([r["seed"] for r in self.live["runs"]], [r["seed"] for r in self.sim["runs"]])

    def test_producers_publish_at_the_simulated_arrival_times(self):
        # messages.csv (sim, --trace) lists every message's publish time in creation order: one producer, so
        # message k is its k-th arrival. Live: the producer's S lines, moved to scenario time with run.json.
        sim = [float(r["published"]) for r in rows(self.sim_dir, "messages.csv") if r["repetition"] == "0"]
        work = os.path.join(self.live_dir, "live-work", "rep-0")
        with open(os.path.join(work, "run.json")) as f:
            clock = json.load(f)
        live = []
        with open(os.path.join(work, "producer-p[0].csv")) as f:
            for line in f:
                fields = line.strip().split(",")
                if fields[0] == "S":
                    live.append((int(fields[2]) - clock["start_ns"]) / clock["time_scale"] / 1e9)
        self.assertEqual(len(live), len(sim))
        for s, l in zip(sim, live):
            self.assertAlmostEqual(s, l, delta=1e-6)

    def test_every_simulated_metric_is_reported_live_or_null_with_a_reason(self):
        for key, value in self.sim["metrics"].items():
            self.assertIn(key, self.live["metrics"])
            if self.live["metrics"][key]["mean"] is None:
                self.assertTrue(self.live["metrics"][key]["reason"])
        self.assertIsNone(self.live["metrics"]["events"]["mean"])
        self.assertIsNotNone(self.live["metrics"]["idle_with_backlog"]["mean"])


class SameSemantics(unittest.TestCase):
    def test_wait_ends_when_the_broker_hands_the_message_over(self):
        # 60 messages at once to one consumer with a prefetch of 10 and 20 ms of service: the broker hands message
        # k over when credit frees up (about (k - 10) x 20 ms); a consumer reads it only when it starts on it (about
        # k x 20 ms). The simulated wait counts the former; live must too.
        path = scenario_file("prefetch", """
name: twin-wait
seed: 5
queue: {design: visibility_timeout}
producers: [{arrival: batch, messages: 60}]
consumers: [{name: w, service: 20ms, prefetch: 10}]
""")
        sim, _, _ = run("run", path, "wait-sim")
        live, _, _ = run("live", path, "wait-live")
        self.assertAlmostEqual(mean(live, "wait_mean"), mean(sim, "wait_mean"), delta=0.15 * mean(sim, "wait_mean"))

    def test_a_down_broker_refuses_or_has_publishes_retried_alike_in_both_modes(self):
        path = scenario_file("broker-down", """
name: twin-broker-down
seed: 3
duration: 3s
queue: {design: visibility_timeout, visibility_timeout: 200ms}
producers: [{name: p, rate: 300/s}]
consumers: [{name: w, count: 3, service: {dist: exponential, mean: 5ms}, prefetch: 4}]
faults: [{at: 1s, action: broker_crash, target: broker, restart_after: 300ms}]
""")
        sim, _, _ = run("run", path, "down-sim")
        live, live_dir, _ = run("live", path, "down-live")
        # About 90 publishes fall due while the broker is down: refused in both (Poisson: the same draws).
        self.assertGreater(mean(sim, "refused_publishes"), 60)
        self.assertAlmostEqual(mean(live, "refused_publishes"), mean(sim, "refused_publishes"), delta=15)
        self.assertAlmostEqual(mean(live, "unavailable_seconds"), 0.3, delta=1e-6)
        # The backlog series drops what was lost: it ends empty.
        self.assertEqual(int(rows(live_dir, "timeseries.csv")[-1]["backlog"]), 0)
        retry = ["--set", "producers[0].on_unavailable=retry", "--set", "producers[0].retry={backoff: 20ms, limit: 1s}"]
        sim, _, _ = run("run", path, "retry-sim", *retry)
        live, _, _ = run("live", path, "retry-live", *retry)
        for summary in (sim, live):
            self.assertEqual(mean(summary, "refused_publishes"), 0)
            self.assertGreater(mean(summary, "retried_publishes"), 60)

    def test_a_replicated_leader_crashes_inside_the_broker_and_loses_no_confirmed_message(self):
        path = scenario_file("replicated", """
name: twin-replicated
seed: 53
duration: 6s
queue: {design: replicated, replicas: 3, acks: all, replication_latency: 2ms, failure_detection: 500ms}
producers: [{name: p, rate: 100/s}]
consumers: [{name: w, count: 2, service: {dist: exponential, mean: 5ms}}]
faults: [{at: 2s, action: broker_crash, target: leader, restart_after: 1s}]
""")
        sim, _, _ = run("run", path, "replicated-sim")
        live, live_dir, done = run("live", path, "replicated-live")
        [window] = rows(live_dir, "faults.csv")
        self.assertEqual((window["action"], window["target"]), ("broker_crash", "broker[0]"))
        self.assertEqual(mean(live, "lost_confirmed"), 0)
        self.assertEqual(mean(sim, "lost_confirmed"), 0)
        # The node, not the process, crashed: one broker process served the whole run.
        self.assertEqual(done.stderr.count("broker on "), 1)
        self.assertGreater(mean(live, "unavailable_seconds"), 0.3)  # no leader for failure_detection
        self.assertLess(mean(live, "unavailable_seconds"), 1.5)


class RobustCoordination(unittest.TestCase):
    def test_a_broker_killed_from_outside_ends_the_run_with_incomplete_results(self):
        path = scenario_file("killed", """
name: twin-killed
duration: 30s
queue: {design: visibility_timeout}
producers: [{name: p, rate: 100/s}]
consumers: [{name: w, service: 2ms}]
""")
        folder = os.path.join(WORK, "killed")
        live = subprocess.Popen([QLAB, "live", path, "--out", folder], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        # The run has begun once the coordinator names the broker (after the producers started).
        line = ""
        while "broker on" not in line:
            line = live.stderr.readline()
            self.assertTrue(line, "qlab live ended before the run began")
        found = subprocess.run(["pgrep", "-f", "-P", str(live.pid), "qlab broker"], capture_output=True, text=True)
        broker_pid = int(found.stdout.split()[0])
        os.kill(broker_pid, signal.SIGKILL)
        killed = time.monotonic()
        out, err = live.communicate(timeout=60)
        self.assertLess(time.monotonic() - killed, 15)  # well before the 30 s run would have ended
        self.assertEqual(live.returncode, 1, err)
        self.assertIn("the broker was killed by signal 9", err)
        with open(os.path.join(folder, "summary.json")) as f:
            summary = json.load(f)
        self.assertFalse(summary["complete"])
        self.assertIn("broker", summary["incomplete"][0]["reason"])


if __name__ == "__main__":
    QLAB = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]], verbosity=2)
