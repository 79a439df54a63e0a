"""The report as a reader meets it, from small real qlab outputs: a suite run with `qlab suite` (a claim, a
plot map with an all-zero metric, a backlog-drain run with plot.timeseries and plot.drain_time) and run
folders written with `qlab run`. Checks index.html: the computed sentences with the numbers of results.csv,
the claim, folded scrollable tables after the figures, only significant comparisons, figure texts without
raw `--set` paths, no all-zero panels, the zoomed and named time series, and `qlab plot --metrics/--x` and
the mixed-scenario warning. Needs $QLAB_BINARY and a Python with matplotlib ($QLAB_PYTHON)."""

import csv
import html
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
sys.path.insert(0, os.path.join(SOURCE_DIR, "analysis"))

import qlab_results as qr  # noqa: E402

RAW_PATH = re.compile(r"\w+\[\d+\]\.\w+")  # consumers[1].service.mean, faults[0].duration, ...

SUITE = """name: report-test
repetitions: 4
seed: 3
runs:
  - name: hetero
    scenario: {examples}/hetero.yaml
    claim: pulling finishes a batch sooner than pre-assignment when consumers differ in speed
    set:
      producers[0].messages: 400
    sweep:
      queue:
        - {{design: pull}}
        - {{design: preassigned, assignment: round_robin}}
        - {{design: preassigned, assignment: random}}
      consumers[1].service.mean: [100ms, 800ms]
    plot:
      x: consumers[1].service.mean
      x_scale: 10
      x_label: slow/fast speed ratio
      log_y: true
      metrics: [makespan, duplicates]
  - name: drain
    scenario: {scenarios}/backlog_drain.yaml
    set:
      duration: 150s
    sweep:
      queue:
        - {{design: pull}}
        - {{design: preassigned}}
    zip:
      faults[0].duration: [10s, 30s]
      faults[1].duration: [10s, 30s]
    plot:
      x: faults[0].duration
      x_label: stall window (s)
      metrics: [latency_max]
      timeseries: [backlog]
      drain_time: backlog
"""


def qlab(*args):
    return subprocess.run([QLAB] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=dict(os.environ, QLAB_PYTHON=PYTHON))


def read_index(folder):
    with open(os.path.join(folder, "plots", "index.html"), encoding="utf-8") as f:
        return f.read()


def section(index, run):
    """The HTML of one suite run's section."""
    start = index.index('<h2 id="s-run-%s">' % run)
    end = index.find("<h2", start + 1)
    return index[start:end if end > 0 else len(index)]


def svg_texts(path):
    """Every text of an SVG figure (titles, labels, legends, ticks): the figures keep text as text."""
    return [" ".join(e.itertext()) for e in ET.parse(path).getroot().iter() if e.tag.endswith("text")]


def format_seconds(value):
    """The report's format of a time: four significant digits in s, ms or us."""
    for factor, unit in ((1, "s"), (1e3, "ms"), (1e6, "\u00b5s")):
        if abs(value) * factor >= 1 or unit == "\u00b5s":
            return "%.4g %s" % (value * factor, unit)


@unittest.skipUnless(QLAB and os.path.exists(QLAB), "set QLAB_BINARY to the qlab executable")
class ReportTest(unittest.TestCase):
    longMessage = False  # a failed assertIn on a whole report would print all of it
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="qlab-report-")
        suite_file = os.path.join(cls.tmp, "suite.yaml")
        with open(suite_file, "w") as f:
            f.write(SUITE.format(examples=os.path.join(SOURCE_DIR, "workloads", "examples"),
                                 scenarios=os.path.join(SOURCE_DIR, "bench", "suites", "scenarios")))
        cls.suite = os.path.join(cls.tmp, "suite")
        done = qlab("suite", suite_file, "--out", cls.suite, "--jobs", "2")
        assert done.returncode == 0, done.stderr
        done = qlab("plot", cls.suite)
        assert done.returncode == 0, done.stdout + done.stderr
        cls.index = read_index(cls.suite)
        with open(os.path.join(cls.suite, "results.csv"), newline="") as f:
            cls.results = list(csv.DictReader(f))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def mean(self, run, design, path, value, metric):
        values = [float(r[metric]) for r in self.results
                  if r["run"] == run and r["design"] == design and r[path] == value]
        self.assertEqual(len(values), 4, (run, design, value))
        return sum(values) / len(values)

    def test_each_run_opens_with_a_sentence_computed_from_the_results_and_its_claim(self):
        text = html.unescape(section(self.index, "hetero"))
        findings = text[text.index('<div class="findings">'):text.index("</div>")]
        self.assertIn("Claim: pulling finishes a batch sooner than pre-assignment when consumers differ in speed",
                      findings)
        pull = self.mean("hetero", "pull", "consumers[1].service.mean", "800ms", "makespan")
        rr = self.mean("hetero", "preassigned/round_robin", "consumers[1].service.mean", "800ms", "makespan")
        self.assertLess(pull, rr)
        with open(os.path.join(self.suite, "comparisons.csv"), newline="") as f:
            paired = next(r for r in csv.DictReader(f) if r["run"] == "hetero" and r["metric"] == "makespan" and
                          r["design"] == "preassigned/round_robin" and r["consumers[1].service.mean"] == "800ms")
        self.assertIn("At slow/fast speed ratio 8, pull's makespan is %s, %.2gx shorter than "
                      "preassigned/round_robin's (%s) (paired difference %s \u00b1 %.2g)" % (
                          format_seconds(pull), rr / pull, format_seconds(rr),
                          format_seconds(float(paired["mean_difference"])), float(paired["ci95"])), findings)
        # The findings come before the first figure.
        self.assertLess(text.index('<div class="findings">'), text.index("<figure"))

    def test_the_drain_run_says_and_draws_how_long_each_design_takes_to_drain(self):
        text = html.unescape(section(self.index, "drain"))
        drains = {}
        for design in ("pull", "preassigned"):
            point = next(p for p in qr.Suite(self.suite).points
                         if p.run_name == "drain" and p.label == design and p.params["faults[0].duration"] == "30s")
            times = []
            for rep in range(4):
                rows = [r for r in point.run.timeseries if r["repetition"] == rep]
                windows = [w for w in point.run.faults if w["repetition"] == rep]
                start, end = min(w["start"] for w in windows), max(w["end"] for w in windows)
                before = [r["backlog"] for r in rows if r["t"] <= start]
                level = sum(before) / len(before)
                times.append(next(r["t"] for r in sorted(rows, key=lambda r: r["t"])
                                  if r["t"] >= end and r["backlog"] <= level) - end)
            drains[design] = sum(times) / len(times)
        self.assertLess(drains["pull"], drains["preassigned"])
        self.assertIn("At stall window 30 s, pull's backlog drain time is %s, %.2gx shorter than preassigned's (%s)"
                      % (format_seconds(drains["pull"]), drains["preassigned"] / drains["pull"],
                         format_seconds(drains["preassigned"])), text)
        self.assertIn('src="drain-drain-time.png"', text)
        # plot.timeseries: only the backlog panel, named by its repetition, zoomed on the stall and its recovery.
        texts = svg_texts(os.path.join(self.suite, "plots", "drain-timeseries.svg"))
        self.assertTrue(any("Backlog over time, repetition 0" in t for t in texts), texts)
        self.assertFalse(any("in flight" in t for t in texts))
        caption = re.search(r"Zoomed on the faults and the recovery after them: ([0-9.]+)\u2013([0-9.]+) s of a", text)
        self.assertIsNotNone(caption, "the time series is zoomed on the stall")
        self.assertLess(float(caption.group(1)), 60)  # the stall starts at 60 s and ends at 90 s
        self.assertGreater(float(caption.group(2)), 90 + drains["preassigned"] * 0.5)

    def test_tables_are_folded_scrollable_and_below_the_figures(self):
        for run in ("hetero", "drain"):
            text = section(self.index, run)
            self.assertEqual(text.count("<table>"), text.count('<div class="table-wrap"><table>'))
            self.assertEqual(text.count("<table>"), text.count("<details><summary>"))
            last_figure = text.rindex("</figure>")
            summary = text.index("every point: mean")
            self.assertGreater(summary, last_figure, "the summary table comes after the figures")
        self.assertIn(".table-wrap { max-width: 100%; overflow-x: auto;", self.index)

    def test_comparisons_show_only_significant_differences_with_units(self):
        text = html.unescape(section(self.index, "hetero"))
        with open(os.path.join(self.suite, "comparisons.csv"), newline="") as f:
            rows = [r for r in csv.DictReader(f) if r["run"] == "hetero"]
        significant = [r for r in rows if int(r["n"]) > 1 and abs(float(r["mean_difference"])) > float(r["ci95"])]
        self.assertLess(len(significant), len(rows))
        self.assertGreater(len(significant), 0)
        self.assertIn("significant paired differences: %d of %d in comparisons.csv" % (len(significant), len(rows)),
                      text)
        table = text[text.index("significant paired differences"):]
        table = table[:table.index("</table>")]
        self.assertEqual(table.count("<tr>") - 1, len(significant))
        self.assertIn("<td>makespan</td>", table)
        self.assertRegex(table, r"<td>\+[0-9.]+ s \u00b1 [0-9.]+</td>")  # the makespan difference in seconds

    def test_figures_name_designs_and_parameters_in_words_and_leave_out_all_zero_panels(self):
        plots = os.path.join(self.suite, "plots")
        for name in sorted(os.listdir(plots)):
            if name.endswith(".svg"):
                for t in svg_texts(os.path.join(plots, name)):
                    self.assertIsNone(RAW_PATH.search(t), "%s shows a raw path: %r" % (name, t))
        for caption in re.findall(r"<figcaption>(.*?)</figcaption>", self.index, re.S):
            self.assertIsNone(RAW_PATH.search(caption), caption)
        sweep = svg_texts(os.path.join(plots, "hetero-sweep.svg"))
        self.assertIn("makespan (s) (log scale)", sweep)
        self.assertFalse(any("duplicate" in t for t in sweep), "duplicates are zero everywhere: no panel")
        self.assertIn("Left out, zero for every design and point: duplicate processings.", html.unescape(self.index))
        for label in ("pull", "preassigned/round_robin", "preassigned/random"):
            self.assertIn(label, sweep)
        bars = svg_texts(os.path.join(plots, "hetero-designs.svg"))
        self.assertIn("preassigned/random", bars)  # design names are the bars' tick labels

    def test_plot_takes_metrics_and_x_and_rejects_unknown_ones(self):
        copy = os.path.join(self.tmp, "suite-metrics")  # the other tests read the default report
        shutil.copytree(self.suite, copy, ignore=shutil.ignore_patterns("plots"))
        done = qlab("plot", copy, "--metrics", "latency_p99,throughput", "--x", "consumers[1].service.mean")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("run drain does not sweep it", done.stderr)
        sweep = svg_texts(os.path.join(copy, "plots", "hetero-sweep.svg"))
        self.assertIn("p99 latency", sweep)
        self.assertFalse(any(t == "makespan" for t in sweep))
        done = qlab("plot", self.suite, "--metrics", "makespam")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--metrics: unknown metric 'makespam' (did you mean 'makespan'?", done.stderr)
        done = qlab("plot", self.suite, "--x", "producers[0].rate")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--x producers[0].rate: no run of the suite sweeps it", done.stderr)

    def test_a_folder_mixing_scenarios_is_plotted_with_a_warning(self):
        parent = os.path.join(self.tmp, "mixed")
        examples = os.path.join(SOURCE_DIR, "workloads", "examples")
        for name, scenario, sets in (("a", "hetero.yaml", ["producers[0].messages=300"]),
                                     ("b", "mm8.yaml", ["queue.design=preassigned", "duration=60s", "warmup=10s"])):
            args = ["run", os.path.join(examples, scenario), "--reps", "2", "--out", os.path.join(parent, name)]
            done = qlab(*args + [a for s in sets for a in ("--set", s)])
            self.assertEqual(done.returncode, 0, done.stderr)
        done = qlab("plot", parent)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("warning: %s holds runs of 2 different scenarios (hetero, mm8)" % parent, done.stderr)
        self.assertIn("Warning: %s holds runs of 2 different scenarios" % parent, read_index(parent))

    def test_a_run_folder_opens_with_its_numbers(self):
        folder = os.path.join(self.tmp, "one")
        done = qlab("run", os.path.join(SOURCE_DIR, "workloads", "examples", "hetero.yaml"), "--reps", "2",
                    "--out", folder, "--set", "producers[0].messages=300")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(qlab("plot", folder).returncode, 0)
        run = qr.Run(folder)
        makespan = run.metrics["makespan"]
        self.assertIn("pull on hetero: 300 messages processed, makespan %s \u00b1 %.2g" % (
            format_seconds(makespan["mean"]), makespan["ci95"]), html.unescape(read_index(folder)))


if __name__ == "__main__":
    unittest.main()
