#!/usr/bin/python3
"""`qlab calibrate`: the live broker's cost for the simulator (docs/CALIBRATE.md).

A short calibration (two quick live rate searches) must write a `broker:` block the simulator loads, whose
simulated saturation rate matches the live one at the fitted sizes; bad flags exit 2 before anything starts.

Usage: calibrate_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

QLAB = None


class Calibrate(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="qlab-calibrate-test-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def test_bad_flags_exit_2(self):
        for flags, message in [(["--sizes", "64KiB,100B"], "the smaller first"),
                               (["--sizes", "100B"], "two message sizes"),
                               (["--sizes", "100B,12XB"], "12XB"),
                               (["--search-time", "0s"], "--search-time")]:
            done = subprocess.run([QLAB, "calibrate"] + flags, capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 2, (flags, done.stderr))
            self.assertIn(message, done.stderr)

    def test_writes_a_broker_block_the_simulator_reproduces(self):
        out = os.path.join(self.work, "broker.yaml")
        done = subprocess.run([QLAB, "calibrate", "--sizes", "100B,16KiB", "--search-time", "3s", "--repeat", "1", "--out", out],
                              capture_output=True, text=True, timeout=240)
        self.assertEqual(done.returncode, 0, done.stderr[-3000:])
        rows = re.findall(r"^\s+(\S+)\s+(\d+)/s\s+(\d+)/s\s+([-+][\d.]+)%", done.stdout, re.M)
        self.assertEqual([r[0] for r in rows], ["100B", "16KiB"], done.stdout)
        for size, live, sim, error in rows:
            # Fitted sizes: the simulated finder lands within its own bisection and probe noise of the live rate.
            self.assertLess(abs(float(error)), 15, done.stdout)
            self.assertGreater(int(live), 0)
        with open(out) as f:
            block = f.read()
        self.assertRegex(block, r"broker: \{per_message: \S+, per_byte: \S+, threads: 1\}")
        # The block drops into a scenario as is.
        scenario = os.path.join(self.work, "s.yaml")
        with open(scenario, "w") as f:
            f.write("name: s\nduration: 1s\nproducers: [{rate: 100/s}]\nconsumers: [{service: 1ms}]\n" + block)
        run = subprocess.run([QLAB, "run", scenario], capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)


if __name__ == "__main__":
    QLAB = sys.argv[1]
    unittest.main(argv=[sys.argv[0], "-v"])
