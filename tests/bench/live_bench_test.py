"""qlab_live_bench end to end, tiny: qlab's broker, Redis and NATS JetStream (memory and file storage) at one
low offered rate, then the rate search capped just above it (a few seconds per setting). RabbitMQ's settings
are left out: one takes about 7 s here (most of it the node's start), and its client runs in tests/live.
Checks the JSON, CSV and Markdown it writes and that analysis/plot_live_bench.py draws the figure from the
JSON. Asserts structure and consistency, not speed (that is the benchmark's job).

    /usr/bin/python3 live_bench_test.py QLAB_LIVE_BENCH QLAB SOURCE_DIR
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

BENCH, QLAB, SOURCE = sys.argv[1:4]


SYSTEMS = ["qlab", "redis", "nats-memory", "nats-file"]


class LiveBenchTest(unittest.TestCase):
    def test_every_step_is_reported_in_json_csv_and_markdown_and_plotted(self):
        with tempfile.TemporaryDirectory() as out:
            files = {ext: os.path.join(out, "lb." + ext) for ext in ("json", "csv", "md")}
            subprocess.run([BENCH, "--qlab", QLAB, "--systems", ",".join(SYSTEMS), "--rates", "300", "--measure", "0.5",
                            "--probe", "0.5", "--max-rate", "500", "--work-dir", out, "--json", files["json"],
                            "--csv", files["csv"], "--markdown", files["md"]],
                           check=True, timeout=240, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            report = json.load(open(files["json"]))
            self.assertEqual([s["label"] for s in report["settings"]], SYSTEMS)
            steps = 0
            for s in report["settings"]:
                self.assertNotIn("error", s)
                self.assertTrue(s["version"])
                sweep = [st for st in s["steps"] if not st["search"]]
                self.assertEqual([st["offered"] for st in sweep], [300])
                for st in s["steps"]:
                    self.assertGreater(st["achieved"], 0)
                    self.assertLessEqual(st["p50_us"], st["p99_us"])
                    self.assertLessEqual(st["p99_us"], st["p999_us"])
                    self.assertLessEqual(st["undelivered"], st["measured"])
                    if st["offered"] == 300:
                        self.assertAlmostEqual(st["measured"], 150, delta=1)  # 300 msg/s over 0.5 s
                self.assertLessEqual(s["max_sustainable"], 500)
                steps += len(s["steps"])
            rows = list(csv.DictReader(open(files["csv"])))
            self.assertEqual(len(rows), steps)
            markdown = open(files["md"]).read()
            for label in SYSTEMS:
                self.assertIn("| %s (" % label, markdown)
            plot = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "analysis", "plot_live_bench.py"),
                                   files["json"], out], check=True, capture_output=True, text=True, timeout=120)
            self.assertTrue(os.path.getsize(os.path.join(out, "live_bench.png")) > 0, plot.stdout)

    def test_a_csv_that_cannot_be_written_fails_clearly_and_leaves_no_partial_file(self):
        with tempfile.TemporaryDirectory() as out:
            blocked = os.path.join(out, "taken")  # a folder where the CSV should go: the rename into place fails
            os.mkdir(blocked)
            run = subprocess.run([BENCH, "--qlab", QLAB, "--systems", "qlab", "--rates", "300", "--measure", "0.5",
                                  "--probe", "0.5", "--max-rate", "300", "--work-dir", out, "--json",
                                  os.path.join(out, "lb.json"), "--csv", blocked],
                                 timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            self.assertEqual(run.returncode, 1, run.stderr)
            self.assertIn(blocked, run.stderr)
            self.assertEqual(os.listdir(blocked), [])
            self.assertEqual([f for f in os.listdir(out) if f.endswith(".partial")], [])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
