#!/usr/bin/python3
"""`qlab suite --slurm` on a real, private single-node Slurm cluster (Debian's slurm-wlm and munge, started
without systemd by slurm_cluster.py): a suite run as a job array and merged equals a local run; a failing
shard makes --slurm fail naming the shard and its log; a task that does not see the prepared output folder
refuses to run. Skipped (exit 0 with "skipped") when not root or Slurm is not installed (scripts/setup.sh).

Usage: suite_slurm_test.py QLAB_BINARY   (CTest passes it)
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from slurm_cluster import SlurmCluster, missing_programs  # noqa: E402
from suite_folders import TINY_POINTS, SuiteTestCase, differences, qlab_suite  # noqa: E402

QLAB = None
CLUSTER = None


def setUpModule():
    global CLUSTER
    CLUSTER = SlurmCluster().__enter__()


def tearDownModule():
    if CLUSTER is not None:
        CLUSTER.__exit__(None, None, None)


class OnSlurm(SuiteTestCase):
    def slurm(self, out, *args):
        return qlab_suite(QLAB, self.suite, "--out", out, "--slurm", *args, env=CLUSTER.env)

    def test_a_job_array_merged_equals_a_local_run(self):
        done = self.slurm(self.out("slurm"), "--slurm-tasks", "4")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr + CLUSTER.log("slurmctld"))
        self.assertIn("job array of 4 tasks", done.stdout)
        self.assertIn("shards 0 pending, 0 running, 4 done; points 0 pending, 0 running, %d done" % TINY_POINTS,
                      done.stderr)
        self.assertIn("merged %d points" % TINY_POINTS, done.stdout)
        for shard in (1, 2, 3, 4):  # every task ran its own shard and left its status
            with open(self.out("slurm/slurm/shard-%d.log" % shard)) as f:
                self.assertIn("shard %d/4 done" % shard, f.read())
            with open(self.out("slurm/slurm/shard-%d.exit" % shard)) as f:
                self.assertEqual(f.read().strip(), "0")
        local = qlab_suite(QLAB, self.suite, "--out", self.out("local"))
        self.assertEqual(local.returncode, 0, local.stderr)
        self.assertEqual(differences(self.out("local"), self.out("slurm")), [])

    def test_a_failing_shard_is_named_with_its_log(self):
        # Point 5 (tiny/005) belongs to shard 5 mod 4 + 1 = 2: a file where its folder goes makes shard 2 fail.
        local = qlab_suite(QLAB, self.suite, "--out", self.out("local"), "--filter", "tiny")
        self.assertEqual(local.returncode, 0, local.stderr)
        with open(self.out("local/suite.json")) as f:
            folder = json.load(f)["points"][5]["folder"]
        blocked = os.path.join(self.out("failing"), folder)
        os.makedirs(os.path.dirname(blocked))
        with open(blocked, "w") as f:
            f.write("not a folder\n")
        done = self.slurm(self.out("failing"), "--slurm-tasks", "4")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        log = self.out("failing/slurm/shard-2.log")
        self.assertIn("shard 2/4 of job", done.stdout)
        self.assertIn("failed (exit status 1); points missing: 1; its log: " + log, done.stdout)
        self.assertIn("  | qlab: error: ", done.stdout)  # the log's last lines
        self.assertIn(folder, done.stdout)
        for other in (1, 3, 4):
            self.assertNotIn("shard %d/4 of job" % other, done.stdout)
        self.assertFalse(os.path.exists(self.out("failing/results.csv")))

    def test_a_task_that_does_not_see_the_prepared_folder_refuses_to_run(self):
        # As on a node where the output folder is not shared: the token the submitting side wrote differs.
        script = self.out("job.sh")
        written = qlab_suite(QLAB, self.suite, "--out", self.out("unshared"), "--slurm-script", script,
                             "--slurm-tasks", "1")
        self.assertEqual(written.returncode, 0, written.stderr)
        with open(self.out("unshared/slurm/token"), "w") as f:
            f.write("another folder\n")
        done = subprocess.run(["sbatch", "--wait", script], env=CLUSTER.env, capture_output=True, text=True,
                              timeout=120)
        self.assertEqual(done.returncode, 3, done.stdout + done.stderr)
        with open(self.out("unshared/slurm/shard-1.log")) as f:
            self.assertIn("is not the output folder prepared by qlab suite --slurm (it must be on a filesystem "
                          "every node shares)", f.read())
        self.assertFalse(os.path.exists(self.out("unshared/runs")))


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    if os.geteuid() != 0 or missing_programs():
        print("skipped: needs root and Slurm (missing: %s); scripts/setup.sh installs it" % missing_programs())
        sys.exit(0)
    unittest.main(verbosity=2)
