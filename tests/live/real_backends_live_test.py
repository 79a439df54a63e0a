#!/usr/bin/python3
"""`qlab live --backend redis|nats` end to end through the real executable (docs/BACKENDS.md, "qlab live on a
real broker"): the same producer and consumer processes and faults as with qlab's broker, against servers that
qlab starts on 127.0.0.1 (free ports, data folders in the run's work folder) and stops by pid.

- Redis Streams and NATS JetStream: a consumer SIGKILLed and one SIGSTOPped for longer than the visibility
  timeout lose no confirmed message, and what they held is delivered again (redeliveries, duplicates).
- JetStream on a 3-node cluster with `replicated, replicas: 3`: the stream leader SIGKILLed twice loses no
  confirmed message; one node with `storage: memory` loses its backlog when it is killed.
- What a back end cannot express exits with code 2 before anything starts, naming the back end and the key.

Usage: real_backends_live_test.py QLAB_BINARY   (CTest passes it)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

QLAB = None
WORK = None


def setUpModule():
    global WORK
    WORK = tempfile.mkdtemp(prefix="qlab-real-live-test-")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def have(binary):
    return shutil.which(binary) is not None


def scenario_file(name, text):
    path = os.path.join(WORK, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def live(scenario, out, *extra, timeout=120):
    """`qlab live` into WORK/out; returns (summary or None, completed process)."""
    folder = os.path.join(WORK, out)
    done = subprocess.run([QLAB, "live", scenario, "--out", folder, *extra], capture_output=True, text=True,
                          timeout=timeout)
    summary = None
    if os.path.exists(os.path.join(folder, "summary.json")):
        with open(os.path.join(folder, "summary.json")) as f:
            summary = json.load(f)
    return summary, done


def value(summary, key):
    return summary["metrics"][key]["mean"]


def no_server_left(test, folder):
    """Every server qlab started was stopped: no process runs with a data folder of this run."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        test.assertNotIn(folder, cmdline, "a server of the run still runs: " + cmdline.replace("\0", " "))


# A consumer crashed (back after 1 s) and one stalled for 2.5 s, both longer than the 1 s visibility timeout:
# what they held comes back after the timeout; the stalled one then finishes its copies too (duplicates).
# Offered 40/s against 30/s of capacity: every consumer holds its full prefetch when the faults strike.
CRASH_AND_STALL = """
name: real-crash-stall
seed: 5
duration: 3s
drain_timeout: 20s
queue: {design: visibility_timeout, visibility_timeout: 1s}
producers: [{name: p, rate: 40/s}]
consumers: [{name: w, count: 3, service: 100ms, prefetch: 3}]
faults:
  - {at: 1s, action: crash, target: "w[0]", restart_after: 1s}
  - {at: 1s, action: stall, target: "w[1]", duration: 2500ms}
"""


class ConsumerFaults(unittest.TestCase):
    def check_backend(self, backend, binary):
        if not have(binary):
            self.skipTest(binary + " is not installed (scripts/setup.sh installs it)")
        scenario = scenario_file("crash-stall-" + backend, CRASH_AND_STALL)
        summary, done = live(scenario, "crash-stall-" + backend, "--backend", backend)
        self.assertEqual(done.returncode, 0, done.stderr)
        resolved = summary["scenario_resolved"]["live"]
        self.assertEqual(resolved["backend"], backend)
        self.assertIn(binary.split("-")[0], resolved["backend_version"].lower())
        self.assertGreater(value(summary, "published"), 80)
        self.assertEqual(value(summary, "lost_confirmed"), 0, done.stderr)
        self.assertEqual(value(summary, "lost"), 0)
        self.assertEqual(value(summary, "unique_processed"), value(summary, "published"))
        # What the crashed and the stalled consumer held was delivered again (receive count 2 or more).
        self.assertGreater(value(summary, "redeliveries"), 0)
        # The stalled consumer kept its deliveries and processed them after it resumed: duplicates.
        self.assertGreater(value(summary, "duplicates"), 0)
        # What a real broker cannot tell is null with a reason, never a made-up 0.
        self.assertIsNone(summary["metrics"]["idle_with_backlog"]["mean"])
        self.assertIn("reason", summary["metrics"]["idle_with_backlog"])
        with open(os.path.join(WORK, "crash-stall-" + backend, "live-work", "rep-0", "run.json")) as f:
            self.assertEqual(json.load(f)["backend"], backend)
        no_server_left(self, os.path.join(WORK, "crash-stall-" + backend))

    def test_redis_streams(self):
        self.check_backend("redis", "redis-server")

    def test_nats_jetstream(self):
        self.check_backend("nats", "nats-server")


# The stream leader of a 3-node JetStream cluster SIGKILLed twice (each back after 3 s); producers retry what
# is refused while there is no leader. Every confirmed message is processed.
REPLICATED = """
name: real-replicated
seed: 3
duration: 8s
drain_timeout: 30s
queue: {design: replicated, replicas: 3, visibility_timeout: 2s}
producers: [{name: p, rate: 10/s, on_unavailable: retry, retry: {backoff: 200ms, max_backoff: 1s, limit: 30s}}]
consumers: [{name: w, count: 2, service: 20ms, prefetch: 2}]
faults:
  - {at: 1s, action: broker_crash, target: leader, restart_after: 3s}
  - {at: 5s, action: broker_crash, target: leader, restart_after: 3s}
"""

# One node, memory storage, a consumer far slower than the producer: killing the node loses the backlog.
MEMORY = """
name: real-memory
seed: 3
duration: 1s
drain_timeout: 4s
queue: {design: visibility_timeout, visibility_timeout: 5s}
producers: [{name: p, rate: 50/s}]
consumers: [{name: w, count: 1, service: 200ms, prefetch: 1}]
faults:
  - {at: 1500ms, action: broker_crash, target: broker, restart_after: 200ms}
live:
  backend_options: {storage: memory}
"""


class JetStreamReplication(unittest.TestCase):
    def setUp(self):
        if not have("nats-server"):
            self.skipTest("nats-server is not installed (scripts/setup.sh installs it)")

    def test_three_replicas_survive_two_leader_crashes(self):
        summary, done = live(scenario_file("replicated", REPLICATED), "replicated", "--backend", "nats", timeout=180)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(value(summary, "faults"), 2, done.stderr)
        self.assertGreater(value(summary, "published"), 40)
        self.assertEqual(value(summary, "lost_confirmed"), 0, done.stderr)
        self.assertEqual(value(summary, "unique_processed"), value(summary, "published"))

    def test_one_memory_replica_loses_its_backlog(self):
        summary, done = live(scenario_file("memory", MEMORY), "memory", "--backend", "nats")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(summary["scenario_resolved"]["live"]["backend_options"], {"storage": "memory"})
        # About 50 confirmed, about 8 processed before the kill: the rest was in the server's memory.
        self.assertGreater(value(summary, "lost_confirmed"), 20, done.stderr)
        self.assertGreater(value(summary, "lost_broker_crash"), 20)


class Refusals(unittest.TestCase):
    def refused(self, name, text, backend, *expected):
        summary, done = live(scenario_file(name, text), name, "--backend", backend)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIsNone(summary)
        for word in expected:
            self.assertIn(word, done.stderr)

    def test_what_a_backend_cannot_express_exits_2(self):
        self.refused("redis-replicated", REPLICATED, "redis", "redis", "replicated")
        self.refused("nats-option", CRASH_AND_STALL + "live:\n  backend_options: {storage: tape}\n", "nats",
                     "nats", "live.backend_options.storage")
        self.refused("nats-release", CRASH_AND_STALL.replace("visibility_timeout: 1s}", "visibility_timeout: 1s, "
                                                              "release_on_disconnect: true}"),
                     "nats", "nats", "release_on_disconnect")
        self.refused("unknown-backend", CRASH_AND_STALL, "kafka", "kafka", "nats")


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    unittest.main(verbosity=2)
