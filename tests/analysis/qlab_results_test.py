"""Unit tests of analysis/qlab_results.py: units, distributions, override paths, statistics, histograms and
loading suite folders."""

import csv
import json
import math
import os
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("QLAB_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE_DIR, "analysis"))

import qlab_results as qr  # noqa: E402


class UnitsTest(unittest.TestCase):
    def test_durations_in_every_unit_become_seconds(self):
        self.assertAlmostEqual(qr.parse_duration("1.5ms"), 0.0015)
        self.assertAlmostEqual(qr.parse_duration("250ns"), 250e-9)
        self.assertAlmostEqual(qr.parse_duration("10us"), 1e-5)
        self.assertAlmostEqual(qr.parse_duration("5m"), 300)
        self.assertAlmostEqual(qr.parse_duration("1h"), 3600)

    def test_rates_as_written_by_the_scenario_writer(self):
        self.assertAlmostEqual(qr.parse_rate("7.2/s"), 7.2)
        self.assertAlmostEqual(qr.parse_rate("4e+01/s"), 40)
        self.assertAlmostEqual(qr.parse_rate("300/m"), 5)

    def test_sizes(self):
        self.assertEqual(qr.parse_size("4KiB"), 4096)
        self.assertEqual(qr.parse_size("1MB"), 1e6)

    def test_a_bare_number_is_not_a_duration(self):
        with self.assertRaises(ValueError):
            qr.parse_duration("5")

    def test_sweep_values_are_classified(self):
        self.assertEqual(qr.parse_quantity("800ms"), (0.8, "duration"))
        self.assertEqual(qr.parse_quantity("6.4/s"), (6.4, "rate"))
        self.assertEqual(qr.parse_quantity("4"), (4.0, "number"))
        self.assertEqual(qr.parse_quantity("pull"), ("pull", "text"))
        self.assertEqual(qr.parse_quantity(True), ("true", "text"))


class DistributionTest(unittest.TestCase):
    def test_moments_of_every_distribution(self):
        self.assertEqual(qr.distribution_moments("1s"), (1.0, 0.0))
        self.assertEqual(qr.distribution_moments({"dist": "exponential", "mean": "150ms"}), (0.15, 1.0))
        mean, scv = qr.distribution_moments({"dist": "uniform", "min": "0.5s", "max": "1.5s"})
        self.assertAlmostEqual(mean, 1.0)
        self.assertAlmostEqual(scv, 1 / 12)
        self.assertAlmostEqual(qr.distribution_moments({"dist": "lognormal", "mean": "1s", "cv": 0.5})[1], 0.25)
        self.assertAlmostEqual(qr.distribution_moments({"dist": "erlang", "k": 4, "mean": "1s"})[1], 0.25)
        self.assertEqual(qr.distribution_moments({"dist": "pareto", "mean": "1s", "shape": 1.5})[1], math.inf)
        self.assertAlmostEqual(qr.distribution_moments({"dist": "pareto", "mean": "1s", "shape": 3})[1], 1 / 3)


class PathTest(unittest.TestCase):
    scenario = {"queue": {"design": "pull"}, "consumers": [{"service": {"dist": "exponential", "mean": "1s"}},
                                                          {"service": "2s"}]}

    def test_override_paths_reach_into_lists(self):
        self.assertEqual(qr.get_path(self.scenario, "consumers[1].service"), "2s")
        self.assertEqual(qr.get_path(self.scenario, "consumers[0].service.mean"), "1s")
        self.assertIsNone(qr.get_path(self.scenario, "consumers[5].service"))
        self.assertIsNone(qr.get_path(self.scenario, "network.latency"))

    def test_set_path_copies(self):
        changed = qr.set_path(self.scenario, "consumers[0].service.mean", "3s")
        self.assertEqual(qr.get_path(changed, "consumers[0].service.mean"), "3s")
        self.assertEqual(qr.get_path(self.scenario, "consumers[0].service.mean"), "1s")

    def test_paths_are_described_in_words_from_the_scenario(self):
        scenario = {"consumers": [{"name": "fast"}, {"name": "slow"}], "producers": [{"rate": "4/s"}],
                    "faults": [{"action": "stall"}, {"action": "crash"}]}
        self.assertEqual(qr.describe_path("consumers[1].service.mean", scenario), "slow consumers' mean service time")
        self.assertEqual(qr.describe_path("producers[0].rate", scenario), "arrival rate")
        self.assertEqual(qr.describe_path("faults[0].duration", scenario), "stall window")
        self.assertEqual(qr.describe_path("faults[1].every.mean", scenario), "mean time between crashes")
        self.assertEqual(qr.describe_path("queue.visibility_timeout", scenario), "visibility timeout")
        self.assertEqual(qr.describe_path("consumers[3].count", scenario), "group 3 consumers' count")


class DrainTimeTest(unittest.TestCase):
    """The backlog drain time of a run folder written by hand: a stall from 10 s to 20 s, backlog 2 before."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qlab-drain-")
        backlog = {0: 2, 5: 2, 10: 2, 15: 30, 20: 60, 25: 20, 30: 3, 35: 1, 40: 2}
        with open(os.path.join(self.dir, "timeseries.csv"), "w") as f:
            f.write("repetition,t,backlog,in_flight,published,processed,busy_consumers,alive_consumers\n")
            for t, b in backlog.items():
                f.write("0,%d,%d,0,0,0,0,1\n" % (t, b))
        with open(os.path.join(self.dir, "faults.csv"), "w") as f:
            f.write("repetition,action,target,start,end\n0,stall,a[0],10,20\n0,stall,a[1],12,18\n")
        with open(os.path.join(self.dir, "summary.json"), "w") as f:
            json.dump({"repetitions": 1, "runs": [{"repetition": 0, "metrics": {"makespan": None}}],
                       "metrics": {"makespan": {"mean": None, "ci95": None}}}, f)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_drain_ends_at_the_first_sample_back_at_the_level_before(self):
        self.assertEqual(qr.drain_time(qr.Run(self.dir), 0), (10, 20, 35))  # mean before: 2; 3 at 30 s is above

    def test_a_metric_without_samples_is_nan_not_an_error(self):
        run = qr.Run(self.dir)
        mean, ci, n = qr.summary_stat(run.metrics["makespan"], run)
        self.assertTrue(math.isnan(mean))
        self.assertEqual((ci, n), (0.0, 1))


class StatisticsTest(unittest.TestCase):
    def test_t_quantiles(self):
        self.assertAlmostEqual(qr.t_quantile_975(1), 12.7062, places=3)
        self.assertAlmostEqual(qr.t_quantile_975(4), 2.7764, places=3)
        self.assertAlmostEqual(qr.t_quantile_975(60), 2.0003, places=3)
        self.assertAlmostEqual(qr.t_quantile_975(1000), 1.9623, places=3)

    def test_ci_of_three_values(self):
        mean, ci, n = qr.mean_ci95([1.0, 2.0, 3.0])
        self.assertEqual((mean, n), (2.0, 3))
        self.assertAlmostEqual(ci, 4.302652730 / math.sqrt(3))

    def test_one_value_has_no_interval(self):
        self.assertEqual(qr.mean_ci95([5.0]), (5.0, 0.0, 1))


class HistogramTest(unittest.TestCase):
    # 100 values in [1000, 2000) ns and 100 in [2000, 4000) ns.
    a = {"unit": "ns", "count": 100, "min": 1000, "max": 1999, "buckets": [[1000, 2000, 100]]}
    b = {"unit": "ns", "count": 100, "min": 2000, "max": 3999, "buckets": [[2000, 4000, 100]]}

    def test_merge_adds_counts_and_widens_the_range(self):
        merged = qr.merge_histograms([self.a, self.b, self.a])
        self.assertEqual(merged["count"], 300)
        self.assertEqual((merged["min"], merged["max"]), (1000, 3999))
        self.assertEqual(merged["buckets"], [[1000, 2000, 200], [2000, 4000, 100]])

    def test_quantiles_interpolate_inside_buckets(self):
        merged = qr.merge_histograms([self.a, self.b])
        self.assertAlmostEqual(qr.histogram_quantile(merged, 0.25), 1500e-9)
        self.assertAlmostEqual(qr.histogram_quantile(merged, 0.75), 3000e-9)
        self.assertAlmostEqual(qr.histogram_quantile(merged, 1.0), 3999e-9)

    def test_cdf_ends_at_one(self):
        cdf = qr.histogram_cdf(qr.merge_histograms([self.a, self.b]))
        self.assertAlmostEqual(cdf[0][0], 1000e-9)
        self.assertEqual(cdf[0][1], 0.0)
        self.assertEqual(cdf[-1][1], 1.0)


class SuiteLoadingTest(unittest.TestCase):
    """A suite folder with results.csv only (no run folders): metrics come from the repetitions."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="qlab-suite-")
        rows = [("load", 0, "pull", "4/s", 0, 0.10), ("load", 0, "pull", "4/s", 1, 0.12),
                ("load", 1, "pull", "6/s", 0, 0.30), ("load", 1, "pull", "6/s", 1, 0.34),
                ("load", 2, "preassigned", "4/s", 0, 0.50), ("load", 2, "preassigned", "4/s", 1, 0.70)]
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["run", "point", "design", "producers[0].rate", "repetition", "seed", "wait_mean"])
            for run, point, design, rate, rep, wait in rows:
                w.writerow([run, point, design, rate, rep, 1000 + rep, wait])
        os.makedirs(os.path.join(self.dir, "runs"))

    def test_points_and_stats_come_from_results_csv(self):
        kind, suite = qr.load(self.dir)
        self.assertEqual(kind, "suite")
        self.assertEqual([r.name for r in suite.runs], ["load"])
        run = suite.runs[0]
        self.assertEqual(run.swept, ["producers[0].rate"])
        self.assertEqual(run.x_path(), "producers[0].rate")
        self.assertEqual(run.labels, ["pull", "preassigned"])
        mean, ci, n = run.points[1].metric("wait_mean")
        self.assertAlmostEqual(mean, 0.32)
        # Standard deviation of (0.30, 0.34) is 0.04 / sqrt(2); the half-width is t(0.975, 1) * sd / sqrt(2).
        self.assertAlmostEqual(ci, 12.706204736 * 0.02, places=9)
        self.assertEqual(n, 2)
        self.assertEqual(suite.swept_columns, ["producers[0].rate"])

    def test_assignment_is_named_only_when_it_varies(self):
        with open(os.path.join(self.dir, "suite.json"), "w") as f:
            json.dump({"name": "s", "runs": [{"name": "load", "swept": ["queue.assignment"]}], "points": [
                {"run": "load", "point": 0, "dir": "runs/load/000", "design": "preassigned",
                 "params": {"queue.design": "preassigned", "queue.assignment": "round_robin"}},
                {"run": "load", "point": 1, "dir": "runs/load/001", "design": "preassigned",
                 "params": {"queue.design": "preassigned", "queue.assignment": "random"}}]}, f)
        _, suite = qr.load(self.dir)
        self.assertEqual(suite.runs[0].labels, ["preassigned/round_robin", "preassigned/random"])

    def test_an_empty_folder_is_an_error(self):
        with self.assertRaises(ValueError):
            qr.load(tempfile.mkdtemp(prefix="qlab-empty-"))


if __name__ == "__main__":
    unittest.main()
