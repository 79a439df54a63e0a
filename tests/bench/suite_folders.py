"""Shared by the suite end-to-end tests: a tiny suite written into a folder, running `qlab suite`, and
comparing two suite output folders file by file with the wall-clock metrics set aside."""
import csv
import io
import json
import os
import shutil
import subprocess
import tempfile
import unittest

TIMING = ("wall_seconds", "events_per_second")

# 200 messages at t=0 to two fast and two slow consumers: a repetition takes about a millisecond.
TINY_SCENARIO = """name: tiny
seed: 5
queue:
  design: pull
producers:
  - arrival: batch
    messages: 200
consumers:
  - name: fast
    count: 2
    service: {dist: exponential, mean: 10ms}
  - name: slow
    count: 2
    service: {dist: exponential, mean: 40ms}
"""

# Two designs x three slow speeds, and a zipped run: 8 points, 2 repetitions each.
TINY_SUITE = """name: tiny-suite
repetitions: 2
runs:
  - scenario: tiny.yaml
    sweep:
      queue.design: [pull, preassigned]
      consumers[1].service.mean: [20ms, 40ms, 80ms]
  - name: zipped
    scenario: tiny.yaml
    set:
      consumers[0].count: 3
    zip:
      consumers[1].count: [1, 2]
      consumers[1].service.mean: [30ms, 60ms]
"""
TINY_POINTS = 8


def write_suite(folder):
    """Writes tiny.yaml and suite.yaml into folder; returns the suite's path."""
    with open(os.path.join(folder, "tiny.yaml"), "w") as f:
        f.write(TINY_SCENARIO)
    path = os.path.join(folder, "suite.yaml")
    with open(path, "w") as f:
        f.write(TINY_SUITE)
    return path


class SuiteTestCase(unittest.TestCase):
    """A test with a fresh folder holding the tiny suite (self.suite); self.out(name) is a path inside it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qlab-suite-test-")
        self.suite = write_suite(self.dir)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def out(self, name):
        return os.path.join(self.dir, name)


def qlab_suite(qlab, *args, env=None, timeout=120):
    """Runs `qlab suite ARGS...`; returns the CompletedProcess (text output)."""
    return subprocess.run([qlab, "suite", *args], capture_output=True, text=True, env=env, timeout=timeout)


def _csv_without_timing(text):
    rows = list(csv.reader(io.StringIO(text)))
    timing = [i for i, name in enumerate(rows[0]) if name in TIMING] if rows else []
    for row in rows[1:]:
        for i in timing:
            row[i] = "-"
    return rows


def _json_without_timing(node):
    if isinstance(node, dict):
        return {k: (None if k in TIMING else _json_without_timing(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_without_timing(v) for v in node]
    return node


def result_files(folder, skip=("slurm",)):
    """Every file below folder, relative, sorted; top-level folders named in skip are left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        if root == folder:
            dirs[:] = [d for d in dirs if d not in skip]
        found.extend(os.path.relpath(os.path.join(root, name), folder) for name in files)
    return sorted(found)


def differences(a, b):
    """The files that differ between suite folders a and b, the wall-clock metrics aside (results.csv
    columns, summary.json values); [] when they hold the same files with the same bytes otherwise."""
    files_a, files_b = result_files(a), result_files(b)
    if files_a != files_b:
        return ["file lists differ: %s" % sorted(set(files_a) ^ set(files_b))]
    differing = []
    for name in files_a:
        with open(os.path.join(a, name), "rb") as f:
            x = f.read()
        with open(os.path.join(b, name), "rb") as f:
            y = f.read()
        if name == "results.csv":
            same = _csv_without_timing(x.decode()) == _csv_without_timing(y.decode())
        elif name.endswith("summary.json"):
            # Same bytes once the wall-clock values are nulled: compare the re-dumped documents.
            same = (json.dumps(_json_without_timing(json.loads(x)), indent=2) ==
                    json.dumps(_json_without_timing(json.loads(y)), indent=2))
        else:
            same = x == y
        if not same:
            differing.append(name)
    return differing


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3:
        sys.exit("usage: suite_folders.py FOLDER_A FOLDER_B   (lists the result files that differ, wall-clock aside)")
    found = differences(sys.argv[1], sys.argv[2])
    print("\n".join(found) if found else "identical, wall-clock metrics aside")
    sys.exit(1 if found else 0)
