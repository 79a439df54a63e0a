#!/usr/bin/python3
"""`rate: max` (the live rate finder) and the live `drop` fault (whole frames dropped by the fault proxy).

Usage: live_rate_and_drop_test.py QLAB_BINARY SOURCE_DIR   (CTest passes both)
"""
import os
import subprocess
import sys
import unittest

import live_local_test as local  # its scratch folders, run_live() and conservation check


def tearDownModule():
    local.tearDownModule()


def write_scenario(text):
    work = local.work_dir("qlab-rate-drop-test-")
    path = os.path.join(work, "scenario.yaml")
    with open(path, "w") as f:
        f.write(text)
    return work, path


def run_live(scenario_text, *extra):
    summary, _, done = local.run_live(scenario_text, *extra)
    return summary, done


# Two consumers of 200 ms each (scenario time): at most 10 messages/s. Run 100x faster.
RATE_MAX = """
name: rate-max
duration: 100s
queue: {design: visibility_timeout, visibility_timeout: 30s}
producers: [{name: p, rate: max}]
consumers: [{name: w, count: 2, service: 200ms, prefetch: 1}]
"""


class RateFinder(unittest.TestCase):
    def test_the_simulator_refuses_rate_max(self):
        work, scenario = write_scenario(RATE_MAX)
        out = os.path.join(work, "out")
        done = subprocess.run([local.QLAB, "run", scenario, "--out", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("producers[0] (p): rate: max is live-only", done.stderr)
        self.assertFalse(os.path.exists(out))

    def test_live_settles_on_a_rate_under_the_consumers_capacity(self):
        summary, done = run_live(RATE_MAX, "--time-scale", "0.01", "--rate-probe", "500ms", "--rate-search-time", "8s")
        m = summary["runs"][0]["metrics"]
        search = summary["scenario_resolved"]["live"]["rate_search"]
        self.assertEqual(summary["scenario_resolved"]["producers"][0]["rate"], "max")
        self.assertEqual(m["rate_found"], m["rate_found_total"])  # one producer
        self.assertTrue(search["rate_found_total"].endswith("/s"))
        self.assertGreater(len(search["probes"]), 2)
        self.assertTrue(any(p["sustained"] for p in search["probes"]))
        self.assertTrue(search["limit_found"])
        # The settled rate is confirmed by a longer probe, stepping down until one is sustained.
        confirmations = [p for p in search["probes"] if p["confirmation"]]
        self.assertGreater(len(confirmations), 0)
        if search["confirmed"]:
            self.assertTrue(confirmations[-1]["sustained"])
            self.assertAlmostEqual(confirmations[-1]["rate_total"], m["rate_found_total"], delta=1e-9)
        # Capacity is 10/s (scenario time); the finder settles near it (typically 7 to 10/s), never above it
        # by more than the noise of a short probe, and above a tenth of it even on a busy machine.
        self.assertGreater(m["rate_found_total"], 1.0)
        self.assertLessEqual(m["rate_found_total"], 11.0)
        # The measured phase ran at that rate: about rate x 100 s published, nothing lost.
        self.assertAlmostEqual(m["published"], m["rate_found_total"] * 100, delta=0.25 * m["rate_found_total"] * 100 + 10)
        self.assertEqual(m["lost"], 0)
        self.assertIn("rate found (rate: max)", done.stdout)
        print("\n  rate finder: %s in total after %d probes (%.1f s of search); measured phase: latency p99 %.3f s"
              % (search["rate_found_total"], len(search["probes"]), search["search_wall_seconds"], m["latency_p99"]))


# One producer, four consumers; 20% of the frames of one hop are dropped for 1 s of the 3 s.
DROP = """
name: live-drop
seed: 5
duration: 3s
queue: {{design: visibility_timeout, visibility_timeout: 200ms}}
producers: [{{name: p, rate: 300/s}}]
consumers: [{{name: w, count: 4, service: {{dist: exponential, mean: 3ms}}, prefetch: 2}}]
faults:
  - {{at: 1s, action: drop, hop: "{hop}", p: 0.2, duration: 1s}}
"""


class LiveDrop(unittest.TestCase):
    assert_conservation = local.LiveLocal.assert_conservation

    def test_dropped_deliveries_are_redelivered_and_nothing_is_lost(self):
        summary, done = run_live(DROP.format(hop="broker->consumer"))
        m = summary["runs"][0]["metrics"]
        self.assert_conservation(m)
        self.assertGreater(m["published"], 600)
        self.assertEqual(m["lost"], 0)
        self.assertEqual(m["remaining"], 0)
        self.assertEqual(m["unique_processed"], m["published"])
        self.assertGreater(m["dropped_frames"], 0)
        # Each dropped DELIVER came again after the visibility timeout (the consumer saw a higher receive count).
        self.assertGreaterEqual(m["redeliveries"], m["dropped_frames"])
        self.assertIn("fault: drop", done.stderr)
        print("\n  drop broker->consumer: %d published, %d redeliveries, %d duplicates"
              % (m["published"], m["redeliveries"], m["duplicates"]))

    def test_dropped_acks_lead_to_duplicates(self):
        summary, _ = run_live(DROP.format(hop="consumer->broker"))
        m = summary["runs"][0]["metrics"]
        self.assert_conservation(m)
        self.assertEqual(m["lost"], 0)
        self.assertGreater(m["duplicates"], 0)  # processed, ack lost, redelivered, processed again

    def test_dropped_publishes_are_never_confirmed(self):
        summary, _ = run_live(DROP.format(hop="producer->broker"))
        m = summary["runs"][0]["metrics"]
        self.assert_conservation(m)
        self.assertEqual(m["lost"], 0)
        # Sent inside the drop window and never confirmed: the network took them, as the simulator counts it.
        self.assertGreater(m["lost_network_publish"], 0)
        self.assertAlmostEqual(m["published"] + m["lost_network_publish"] + m["lost_unconfirmed_publish"], 900,
                               delta=120)


if __name__ == "__main__":
    local.QLAB, local.SOURCE_DIR = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"])
