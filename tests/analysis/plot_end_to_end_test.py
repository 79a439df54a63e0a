"""End to end: the real qlab binary writes a run folder, several run folders and a tiny suite folder;
`qlab plot` draws them; every expected figure must be a valid non-empty PNG and SVG, referenced by
index.html. Needs $QLAB_BINARY (the qlab executable) and a Python with matplotlib ($QLAB_PYTHON)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("QLAB_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
QLAB = os.environ.get("QLAB_BINARY", "")
PYTHON = os.environ.get("QLAB_PYTHON", sys.executable)
EXAMPLES = os.path.join(SOURCE_DIR, "workloads", "examples")
sys.path.insert(0, HERE)

import suite_fixture  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PER_RUN = ["latency-cdf", "latency-percentiles", "wait-percentiles", "timeseries", "consumers"]


def qlab(*args):
    return subprocess.run([QLAB] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=dict(os.environ, QLAB_PYTHON=PYTHON))


@unittest.skipUnless(QLAB and os.path.exists(QLAB), "set QLAB_BINARY to the qlab executable")
class PlotEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="qlab-plot-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_folder(self, name, scenario, *sets):
        out = os.path.join(self.tmp, name)
        args = ["run", os.path.join(EXAMPLES, scenario), "--reps", "2", "--threads", "2", "--out", out]
        for s in sets:
            args += ["--set", s]
        done = qlab(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return out

    def plot(self, folder):
        done = qlab("plot", folder)
        self.assertEqual(done.returncode, 0, "qlab plot failed:\n" + done.stdout + done.stderr)
        index = os.path.join(folder, "plots", "index.html")
        self.assertEqual(done.stdout.strip().splitlines()[-1], index)
        return index

    def check_figures(self, folder, expected):
        """Every expected figure is a valid PNG and SVG; index.html references each one and no missing file."""
        plots = os.path.join(folder, "plots")
        with open(os.path.join(plots, "index.html"), encoding="utf-8") as f:
            index = f.read()
        for name in expected:
            png = os.path.join(plots, name + ".png")
            svg = os.path.join(plots, name + ".svg")
            with open(png, "rb") as f:
                head = f.read(8)
            self.assertEqual(head, PNG_MAGIC, png)
            self.assertGreater(os.path.getsize(png), 2000, png)
            root = ET.parse(svg).getroot()
            self.assertTrue(root.tag.endswith("svg"), svg)
            self.assertGreater(len(list(root.iter())), 20, svg)
            self.assertIn('src="%s.png"' % name, index)
            self.assertIn('href="%s.svg"' % name, index)
        written = sorted(f[:-4] for f in os.listdir(plots) if f.endswith(".png"))
        self.assertEqual(written, sorted(expected), "figures written vs expected")
        for ref in re.findall(r'(?:src|href)="([^"#]+)"', index):
            self.assertTrue(os.path.exists(os.path.join(plots, ref)), "index.html links a missing " + ref)
        self.assertEqual(index.count("<figure"), len(expected))
        self.assertEqual(index.count("<table>") >= len(expected), True, "a table behind every figure")

    def test_a_run_folder(self):
        folder = self.run_folder("hetero-pull", "hetero.yaml", "producers[0].messages=600")
        self.plot(folder)
        self.check_figures(folder, PER_RUN)

    def test_a_run_with_faults_shades_them(self):
        folder = self.run_folder("crashes", "crashes.yaml", "duration=120s", "faults[0].until=100s")
        self.plot(folder)
        self.check_figures(folder, PER_RUN)
        with open(os.path.join(folder, "plots", "index.html"), encoding="utf-8") as f:
            self.assertIn("fault windows", f.read())

    def test_producer_groups_get_a_latency_figure_naming_the_slowest_group(self):
        # Two producer groups on one queue: which group waits longest is read from summary.json, not assumed.
        scenario = os.path.join(self.tmp, "groups.yaml")
        with open(scenario, "w") as f:
            f.write("name: groups\nseed: 3\nduration: 300s\nproducers:\n  - name: orders\n    rate: 3/s\n"
                    "  - name: audits\n    rate: 1/s\nconsumers:\n  - count: 4\n    service: {dist: exponential, mean: 1s}\n")
        folder = os.path.join(self.tmp, "groups")
        done = qlab("run", scenario, "--reps", "2", "-j", "2", "--out", folder)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.plot(folder)
        self.check_figures(folder, PER_RUN + ["groups"])
        with open(os.path.join(folder, "summary.json")) as f:
            p99 = {g: m["latency_p99"]["mean"] for g, m in json.load(f)["groups"]["producers"].items()}
        slowest = max(p99, key=p99.get)
        with open(os.path.join(folder, "plots", "index.html"), encoding="utf-8") as f:
            self.assertIn("group %s waits longest" % slowest, f.read())

    def test_several_run_folders_are_compared_as_designs(self):
        parent = os.path.join(self.tmp, "compare")
        for design in ("pull", "preassigned"):
            self.run_folder(os.path.join("compare", design), "hetero.yaml", "producers[0].messages=600",
                            "queue.design=" + design)
        self.plot(parent)
        self.check_figures(parent, ["designs"] + PER_RUN)

    def test_a_suite_folder(self):
        folder = os.path.join(self.tmp, "suite")
        suite_fixture.make_suite(QLAB, folder, "tiny", suite_fixture.SMALL)
        self.plot(folder)
        expected = ["load-sweep", "load-designs"] + ["load-" + n for n in PER_RUN]
        expected += ["designs-designs"] + ["designs-" + n for n in PER_RUN]
        self.check_figures(folder, expected)
        with open(os.path.join(folder, "plots", "index.html"), encoding="utf-8") as f:
            index = f.read()
        self.assertIn("M/M/c (Erlang C)", index)  # the theory column of the sweep's table
        self.assertIn("results.csv", index)

    def test_a_folder_without_results_is_refused(self):
        empty = tempfile.mkdtemp(dir=self.tmp)
        done = qlab("plot", empty)
        self.assertEqual(done.returncode, 2)
        self.assertIn("no qlab results", done.stderr)
        done = qlab("plot", os.path.join(self.tmp, "does-not-exist"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("no such folder", done.stderr)

    def test_a_python_without_matplotlib_says_how_to_install_it(self):
        folder = self.run_folder("tiny", "hetero.yaml", "producers[0].messages=100")
        done = qlab("plot", folder, "--python", os.path.join(self.tmp, "no-such-python"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("apt-get install python3-matplotlib", done.stderr)


if __name__ == "__main__":
    unittest.main()
