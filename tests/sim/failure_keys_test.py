#!/usr/bin/python3
"""Failure, poison and bounded-queue keys through the real executable: `qlab run` simulates them, `qlab live`
refuses the simulated-only ones (exit 2, naming the key, no results) and runs a bounded queue on its broker.

Usage: failure_keys_test.py QLAB_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

QLAB = None

FAILING = """
name: failing
duration: 2s
queue: {design: visibility_timeout, visibility_timeout: 500ms, max_receives: 2}
producers: [{rate: 50/s%s}]
consumers: [{service: 5ms%s}]
"""


class FailureKeys(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qlab-failure-keys-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def qlab(self, command, yaml):
        path = os.path.join(self.dir, "s.yaml")
        with open(path, "w") as f:
            f.write(yaml)
        out = os.path.join(self.dir, "out")
        shutil.rmtree(out, ignore_errors=True)
        done = subprocess.run([QLAB, command, path, "--out", out], capture_output=True, text=True, timeout=120)
        return done, out

    def test_live_refuses_consumer_failure_naming_the_key(self):
        done, out = self.qlab("live", FAILING % ("", ", failure: {p: 0.1, action: release}"))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("consumers[0].failure is not supported by live mode", done.stderr)
        self.assertFalse(os.path.exists(out))

    def test_live_refuses_poison_naming_the_key(self):
        done, out = self.qlab("live", FAILING % (", poison: 0.01", ""))
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("producers[0].poison is not supported by live mode", done.stderr)
        self.assertFalse(os.path.exists(out))

    def test_run_simulates_failures_and_poison(self):
        done, out = self.qlab("run", FAILING % (", poison: 0.2", ", failure: {p: 0.1, action: release}"))
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            metrics = json.load(f)["metrics"]
        self.assertGreater(metrics["failed_processing"]["mean"], 0)
        self.assertGreater(metrics["dead_lettered_max_receives"]["mean"], 0)

    def test_a_probability_out_of_range_is_a_located_error(self):
        done, _ = self.qlab("run", FAILING % ("", ", failure: {p: 1.5}"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("s.yaml:6:", done.stderr)
        self.assertIn("p is a probability", done.stderr)

    def test_live_broker_refuses_publishes_past_max_length(self):
        # 100/s against 20/s of service with at most 5 waiting: most publishes are refused, the rest processed.
        done, out = self.qlab("live", """
name: bounded
duration: 2s
queue: {design: visibility_timeout, max_length: 5}
producers: [{rate: 100/s}]
consumers: [{service: 50ms}]
""")
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            metrics = json.load(f)["metrics"]
        self.assertGreater(metrics["refused_publishes"]["mean"], 50)
        self.assertEqual(metrics["published"]["mean"],
                         metrics["unique_processed"]["mean"] + metrics["dead_lettered"]["mean"] + metrics["lost"]["mean"]
                         + metrics["remaining"]["mean"])


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    unittest.main()
