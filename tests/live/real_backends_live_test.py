#!/usr/bin/python3
"""`qlab live --backend redis|nats|beanstalkd` end to end through the real executable (docs/BACKENDS.md, "qlab live on a
real broker"): the same producer and consumer processes and faults as with qlab's broker, against servers that
qlab starts on 127.0.0.1 (free ports, data folders in the run's work folder) and stops by pid.

- Redis Streams, NATS JetStream and beanstalkd (TTR = the visibility timeout): a consumer SIGKILLed and one
  SIGSTOPped for longer than the visibility timeout lose no confirmed message, and what they held is
  delivered again (redeliveries, duplicates). RabbitMQ runs the same case in rabbitmq_live_test.py.
- `pull` on Redis: what a SIGKILLed consumer held is lost and counted as lost, never delivered again.
- `preassigned` (round robin) on beanstalkd: each consumer receives its share only, also while it is stalled.
- JetStream on a 3-node cluster with `replicated, replicas: 3`: the stream leader SIGKILLed twice loses no
  confirmed message, nor does a consumer, then the producer, partitioned from every node; one node with `storage: memory` loses its backlog when it is killed.
- A server killed from outside (no fault did it) ends the run at once, its results marked incomplete.
- What a back end cannot express exits with code 2 before anything starts, naming the back end and the key.

Usage: real_backends_live_test.py QLAB_BINARY   (CTest passes it)
"""
import json
import os
import re
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
    WORK = tempfile.mkdtemp(prefix="qlab-real-live-test-")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def have(binary):
    return shutil.which(binary) is not None


def scenario(name):
    """A scenario of tests/live/real_brokers/ (shared with scripts/real_brokers.sh)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "real_brokers", name + ".yaml")


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


def live_ok(test, binary, name, out, backend, *extra, published):
    """Scenario `name` on `backend` (skipped without `binary`) into WORK/out: it succeeds and publishes more than
    `published` messages. Returns (summary, completed process)."""
    if not have(binary):
        test.skipTest(binary + " is not installed (scripts/setup.sh installs it)")
    summary, done = live(scenario(name), out, "--backend", backend, *extra)
    test.assertEqual(done.returncode, 0, done.stderr)
    test.assertGreater(value(summary, "published"), published)
    return summary, done


def check_crash_stall(test, backend, binary, *extra, duplicates=True):
    """The crash_stall scenario on `backend`: nothing lost, what the faulty consumers held delivered again."""
    summary, done = live_ok(test, binary, "crash_stall", "crash-stall-" + backend, backend, *extra, published=80)
    resolved = summary["scenario_resolved"]["live"]
    test.assertEqual(resolved["backend"], backend)
    test.assertIn(binary.split("-")[0], resolved["backend_version"].lower())
    test.assertEqual(value(summary, "lost_confirmed"), 0, done.stderr)
    test.assertEqual(value(summary, "lost"), 0)
    test.assertEqual(value(summary, "unique_processed"), value(summary, "published"))
    # What the crashed and the stalled consumer held was delivered again (receive count 2 or more).
    test.assertGreater(value(summary, "redeliveries"), 0)
    # The stalled consumer kept its deliveries and processed them after it resumed: duplicates.
    if duplicates:
        test.assertGreater(value(summary, "duplicates"), 0)
    # What a real broker cannot tell is null with a reason, never a made-up 0.
    test.assertIsNone(summary["metrics"]["idle_with_backlog"]["mean"])
    test.assertIn("reason", summary["metrics"]["idle_with_backlog"])
    with open(os.path.join(WORK, "crash-stall-" + backend, "live-work", "rep-0", "run.json")) as f:
        test.assertEqual(json.load(f)["backend"], backend)
    no_server_left(test, os.path.join(WORK, "crash-stall-" + backend))


class ConsumerFaults(unittest.TestCase):
    def test_redis_streams(self):
        check_crash_stall(self, "redis", "redis-server")

    def test_nats_jetstream(self):
        check_crash_stall(self, "nats", "nats-server")

    def test_beanstalkd(self):
        # beanstalkd returns a closed connection's jobs at once (release_on_disconnect: false is refused), and
        # whether a stalled connection's jobs come back after their TTR is unreliable in beanstalkd 1.12
        # (docs/BACKENDS.md): duplicates are not asserted, the crashed consumer's redeliveries are.
        check_crash_stall(self, "beanstalkd", "beanstalkd", "--set", "queue.release_on_disconnect=true",
                          duplicates=False)


def records(out, kind):
    """{consumer index: [message id, ...]} of the records of `kind` (D: delivered) in WORK/out's repetition 0."""
    folder = os.path.join(WORK, out, "live-work", "rep-0")
    found = {}
    for name in os.listdir(folder):
        match = re.fullmatch(r"consumer-w\[(\d+)\]\.csv", name)
        if not match:
            continue
        with open(os.path.join(folder, name)) as f:
            found[int(match.group(1))] = [int(line.split(",")[2]) for line in f if line.startswith(kind + ",")]
    return found


class AtMostOnceAndPreassigned(unittest.TestCase):
    def test_pull_loses_what_a_crashed_consumer_held_and_never_delivers_it_again(self):
        summary, done = live_ok(self, "redis-server", "pull_crash", "pull-redis", "redis", published=80)
        # Held by the consumer when it was killed: lost, and counted so (nothing is left in the queue).
        self.assertGreater(value(summary, "lost_consumer_crash"), 0, done.stderr)
        self.assertEqual(value(summary, "remaining"), 0)
        self.assertEqual(value(summary, "lost"), value(summary, "published") - value(summary, "unique_processed"))
        # Never delivered again: every delivery is a first one, to one consumer.
        self.assertEqual(value(summary, "redeliveries"), 0)
        self.assertEqual(value(summary, "duplicates"), 0)
        delivered = [m for ids in records("pull-redis", "D").values() for m in ids]
        self.assertEqual(len(delivered), len(set(delivered)))
        # Drained as soon as nothing deliverable was left, not at the 20 s drain timeout.
        self.assertLess(value(summary, "duration_simulated"), 15)

    def test_preassigned_consumers_receive_their_share_only(self):
        summary, done = live_ok(self, "beanstalkd", "preassigned_stall", "preassigned-beanstalkd", "beanstalkd",
                                published=40)
        self.assertEqual(value(summary, "lost"), 0, done.stderr)
        self.assertEqual(value(summary, "unique_processed"), value(summary, "published"))
        # Round robin over the producer's own messages: its n-th message (the id's low 32 bits) goes to
        # consumer n mod 3, and only there, though consumer 0 was stalled for most of the run.
        delivered = records("preassigned-beanstalkd", "D")
        self.assertEqual(sorted(delivered), [0, 1, 2])
        for consumer, ids in delivered.items():
            self.assertGreater(len(ids), 10)
            self.assertEqual({(m & 0xFFFFFFFF) % 3 for m in ids}, {consumer}, "consumer %d" % consumer)
        self.assertEqual(value(summary, "redeliveries"), 0)


class JetStreamReplication(unittest.TestCase):
    def setUp(self):
        if not have("nats-server"):
            self.skipTest("nats-server is not installed (scripts/setup.sh installs it)")

    def test_three_replicas_survive_two_leader_crashes(self):
        summary, done = live(scenario("replicated"), "replicated", "--backend", "nats", timeout=180)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(value(summary, "faults"), 2, done.stderr)
        self.assertGreater(value(summary, "published"), 40)
        self.assertEqual(value(summary, "lost_confirmed"), 0, done.stderr)
        self.assertEqual(value(summary, "unique_processed"), value(summary, "published"))

    def test_clients_partitioned_from_the_whole_cluster_lose_nothing(self):
        # Each client's fault proxy has a port for each node, so a partition cuts a client off the cluster.
        summary, done = live(scenario("replicated_partition"), "replicated-partition", "--backend", "nats",
                             timeout=180)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(value(summary, "faults"), 2, done.stderr)
        self.assertGreater(value(summary, "published"), 40)
        self.assertEqual(value(summary, "lost_confirmed"), 0, done.stderr)
        self.assertEqual(value(summary, "unique_processed"), value(summary, "published"))
        # The cut-off consumer's deliveries went to the other one after the visibility timeout.
        self.assertGreater(value(summary, "redeliveries"), 0)
        # The producer's publishes during its 1 s partition were held, then confirmed (within the 5 s PubAck
        # timeout: none refused).
        self.assertEqual(value(summary, "refused_publishes"), 0)
        self.assertGreater(value(summary, "publish_latency_p99"), 0.5)

    def test_one_memory_replica_loses_its_backlog(self):
        summary, done = live(scenario("one_node_crash"), "memory", "--backend", "nats",
                             "--set", "live.backend_options.storage=memory")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(summary["scenario_resolved"]["live"]["backend_options"], {"storage": "memory"})
        # About 50 confirmed, about 8 processed before the kill: the rest was in the server's memory, and the
        # restarted server holds nothing (so the run ends at once rather than at its drain timeout).
        self.assertGreater(value(summary, "lost_confirmed"), 20, done.stderr)
        self.assertGreater(value(summary, "lost_broker_crash"), 20)
        self.assertEqual(value(summary, "remaining"), 0)
        self.assertLess(value(summary, "duration_simulated"), 15)


class UnscheduledDeath(unittest.TestCase):
    def test_a_server_killed_from_outside_ends_the_run_with_incomplete_results(self):
        if not have("redis-server"):
            self.skipTest("redis-server is not installed (scripts/setup.sh installs it)")
        folder = os.path.join(WORK, "killed")
        run = subprocess.Popen([QLAB, "live", scenario("crash_stall"), "--backend", "redis", "--out", folder],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = ""
        while "broker on" not in line:  # the run has begun
            line = run.stderr.readline()
            self.assertTrue(line, "qlab live ended before the run began")
        port = re.search(r"broker on 127\.0\.0\.1:(\d+)", line).group(1)
        found = subprocess.run(["pgrep", "-f", "redis-server 127.0.0.1:" + port], capture_output=True, text=True)
        os.kill(int(found.stdout.split()[0]), signal.SIGKILL)
        killed = time.monotonic()
        _, err = run.communicate(timeout=60)
        self.assertLess(time.monotonic() - killed, 10)  # at once, not after the drain timeout
        self.assertEqual(run.returncode, 1, err)
        self.assertIn("redis node 0 died", err)
        with open(os.path.join(folder, "summary.json")) as f:
            self.assertFalse(json.load(f)["complete"])


class Refusals(unittest.TestCase):
    def refused(self, name, file, backend, sets, *expected):
        summary, done = live(scenario(file), name, "--backend", backend, *sets)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIsNone(summary)
        for word in expected:
            self.assertIn(word, done.stderr)

    def test_what_a_backend_cannot_express_exits_2(self):
        self.refused("redis-replicated", "replicated", "redis", [], "redis", "replicated")
        self.refused("nats-option", "crash_stall", "nats", ["--set", "live.backend_options.storage=tape"],
                     "nats", "live.backend_options.storage")
        self.refused("nats-release", "crash_stall", "nats", ["--set", "queue.release_on_disconnect=true"],
                     "nats", "release_on_disconnect")
        self.refused("qlab-option", "crash_stall", "qlab", ["--set", "live.backend_options.storage=file"],
                     "qlab", "live.backend_options.storage")
        self.refused("unknown-backend", "crash_stall", "kafka", [], "kafka", "nats")

    def test_drop_faults_are_refused_on_every_real_broker(self):
        drop = os.path.join(WORK, "drop.yaml")
        with open(scenario("crash_stall")) as f, open(drop, "w") as out:
            out.write(f.read() + "  - {at: 1s, action: drop, hop: broker->consumer, p: 0.2, duration: 1s}\n")
        for backend in ("redis", "beanstalkd", "nats", "rabbitmq"):
            summary, done = live(drop, "drop-" + backend, "--backend", backend,
                                 "--set", "queue.release_on_disconnect=" + str(backend == "beanstalkd").lower())
            self.assertEqual(done.returncode, 2, backend + ": " + done.stderr)
            self.assertIsNone(summary)
            for word in (backend, "faults[2]: drop", "connection stays up"):
                self.assertIn(word, done.stderr)


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    unittest.main(verbosity=2)
