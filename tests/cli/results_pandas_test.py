#!/usr/bin/python3
"""Results people load into pandas (issue 11): results.csv has numbers in SI base units beside values with
units and the swept queue map flattened into design and one column per parameter; `qlab export DIR --long`
writes one row per (point, repetition, metric). Loaded with pandas when /usr/bin/python3 has it
(python3-pandas, scripts/setup.sh), else with the csv module; nothing is plotted or reshaped by hand.

Usage: results_pandas_test.py QLAB_BINARY   (CTest passes it)
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

try:
    import pandas
except ImportError:  # the csv fallback checks the same columns and values
    pandas = None

QLAB = None

SCENARIO = """name: tiny
seed: 5
repetitions: 3
queue: {design: pull}
producers: [{arrival: batch, messages: 100}]
consumers:
  - {name: fast, count: 2, service: {dist: exponential, mean: 10ms}}
  - {name: slow, count: 2, service: {dist: exponential, mean: 40ms}}
"""

SUITE = """name: frames
runs:
  - name: speed
    scenario: tiny.yaml
    sweep:
      queue:
        - {design: pull}
        - {design: preassigned, assignment: random}
      consumers[1].service.mean: [5ms, 40ms, 500ms]
"""


def read_rows(path):
    """Rows as dicts of text, or a pandas DataFrame when pandas is there."""
    if pandas is not None:
        return pandas.read_csv(path)
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class ResultsForDataFrames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="qlab-pandas-")
        for name, text in (("tiny.yaml", SCENARIO), ("suite.yaml", SUITE)):
            with open(os.path.join(cls.dir, name), "w") as f:
                f.write(text)
        cls.out = os.path.join(cls.dir, "out")
        done = subprocess.run([QLAB, "suite", os.path.join(cls.dir, "suite.yaml"), "--out", cls.out, "-j", "2"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_results_have_si_numbers_and_the_queue_map_flattened(self):
        rows = read_rows(os.path.join(self.out, "results.csv"))
        column = "consumers[1].service.mean"
        if pandas is not None:
            self.assertIn("queue.assignment", rows.columns)
            self.assertNotIn("queue", rows.columns)
            self.assertEqual(str(rows[column + "_si"].dtype), "float64")
            # Sorted as numbers, 5ms < 40ms < 500ms (as text, "500ms" sorts before "5ms").
            ordered = rows.sort_values(column + "_si")[column].drop_duplicates().tolist()
            self.assertEqual(ordered, ["5ms", "40ms", "500ms"])
            designs = rows.groupby("design")["queue.assignment"].first()
            self.assertEqual(designs["preassigned"], "random")
            self.assertTrue(pandas.isna(designs["pull"]))
            makespan = rows.groupby(["design", column + "_si"])["makespan"].mean()
            self.assertGreater(makespan["preassigned", 0.5], makespan["pull", 0.5])
        else:
            self.assertIn("queue.assignment", rows[0])
            self.assertNotIn("queue", rows[0])
            values = sorted({(float(r[column + "_si"]), r[column]) for r in rows})
            self.assertEqual([text for _, text in values], ["5ms", "40ms", "500ms"])
            self.assertEqual({r["queue.assignment"] for r in rows if r["design"] == "preassigned"}, {"random"})

    def test_long_export_holds_every_value_of_results_csv(self):
        long_file = os.path.join(self.dir, "long.csv")
        done = subprocess.run([QLAB, "export", self.out, "--long", "-o", long_file], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        wide = read_rows(os.path.join(self.out, "results.csv"))
        long = read_rows(long_file)
        if pandas is not None:
            self.assertEqual(list(long.columns[-4:]), ["repetition", "seed", "metric", "value"])
            self.assertEqual(len(long), len(wide) * (len(wide.columns) - list(wide.columns).index("seed") - 1))
            back = long[long.metric == "makespan"].pivot_table(index=["point", "repetition"], values="value")["value"]
            expected = wide.set_index(["point", "repetition"])["makespan"]
            for key, value in expected.items():
                self.assertEqual(back[key], value)
        else:
            makespans = {(r["point"], r["repetition"]): r["value"] for r in long if r["metric"] == "makespan"}
            for r in wide:
                self.assertEqual(makespans[(r["point"], r["repetition"])], r["makespan"])

    def test_a_run_folder_exports_its_repetitions(self):
        run_out = os.path.join(self.dir, "run")
        done = subprocess.run([QLAB, "run", os.path.join(self.dir, "tiny.yaml"), "--out", run_out],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        done = subprocess.run([QLAB, "export", run_out, "--long", "-o", "-"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = list(csv.DictReader(done.stdout.splitlines()))
        self.assertEqual({r["repetition"] for r in rows}, {"0", "1", "2"})
        self.assertEqual({r["value"] for r in rows if r["metric"] == "published"}, {"100"})

    def test_a_folder_without_results_is_refused(self):
        done = subprocess.run([QLAB, "export", self.dir, "--long"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertIn("no results.csv or summary.json", done.stderr)


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    unittest.main(verbosity=2)
