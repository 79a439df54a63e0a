#!/usr/bin/python3
"""Time-varying load in qlab live (the simulator's arrival process, so the same draws) and the keys live
mode refuses: autoscale, message keys (exit 2, naming the key, nothing written).

Usage: live_load_shape_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import json
import os
import subprocess
import sys
import unittest

import live_local_test as local  # its scratch folders and run_live()
from live_rate_and_drop_test import tearDownModule, write_scenario  # noqa: F401 (tearDownModule: unittest's hook)

STEPS = """
name: live-steps
seed: 8
duration: 4s
producers:
  - name: p
    rate: {steps: [{at: 0s, rate: 50/s}, {at: 2s, rate: 200/s}, {at: 3s, rate: 0/s}]}
consumers:
  - name: w
    count: 2
    service: 1ms
"""


class LoadShape(unittest.TestCase):
    def test_a_rate_schedule_publishes_the_simulated_arrivals(self):
        work, scenario = write_scenario(STEPS)
        sim_out = os.path.join(work, "sim")
        done = subprocess.run([local.QLAB, "run", scenario, "--out", sim_out], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(os.path.join(sim_out, "summary.json")) as f:
            simulated = json.load(f)["runs"][0]["metrics"]["published"]
        summary, out, _ = local.run_live(STEPS)
        live = local.metrics(summary)
        # The same arrival draws: exactly the simulated count, about 1 x 50 x 2 + 200 x 1.
        self.assertEqual(live["published"], simulated)
        self.assertGreater(live["published"], 200)
        self.assertEqual(live["published"], live["unique_processed"])
        # Nothing is published after 3s, when the rate drops to 0 (scenario time; the run is not time-scaled).
        with open(os.path.join(out, "timeseries.csv")) as f:
            rows = [line.strip().split(",") for line in f][1:]
        late = sum(int(r[4]) for r in rows if float(r[1]) > 3.3)
        self.assertEqual(late, 0, rows)

    def refused(self, scenario_text, key):
        work, scenario = write_scenario(scenario_text)
        out = os.path.join(work, "out")
        done = subprocess.run([local.QLAB, "live", scenario, "--out", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(key, done.stderr)
        self.assertFalse(os.path.exists(out))

    def test_live_refuses_autoscale(self):
        self.refused(STEPS + "    autoscale: {min: 2, max: 4, metric: backlog_per_consumer, target: 5}\n",
                     "consumers[0].autoscale")

    def test_live_refuses_message_keys(self):
        self.refused(STEPS.replace("    rate:", "    keys: {dist: uniform, count: 10}\n    rate:"), "producers[0].keys")


if __name__ == "__main__":
    local.QLAB, local.SOURCE_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
