#!/usr/bin/python3
"""`qlab suite --shard I/N` and `--merge` through the real executable: shards run as separate processes and
merged give the files of one local run; --merge on an incomplete folder lists the missing points and exits 1;
bad shard and Slurm options exit 2 before anything is written.

Usage: suite_shards_test.py QLAB_BINARY   (CTest passes it)
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_folders import TINY_POINTS, SuiteTestCase, differences, qlab_suite  # noqa: E402

QLAB = None


class Shards(SuiteTestCase):
    def run_ok(self, *args):
        done = qlab_suite(QLAB, self.suite, *args)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done

    def test_shards_run_as_processes_and_merged_equal_one_local_run(self):
        # Three shards at once, as three machines would run them.
        shards = [subprocess.Popen([QLAB, "suite", self.suite, "--out", self.out("sharded"), "--shard", "%d/3" % i,
                                    "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                  for i in (1, 2, 3)]
        for shard in shards:
            output = shard.communicate(timeout=120)[0]
            self.assertEqual(shard.returncode, 0, output)
        self.assertFalse(os.path.exists(self.out("sharded/results.csv")))  # shards write no suite-level files
        self.assertFalse(os.path.exists(self.out("sharded/suite.json")))
        merged = self.run_ok("--out", self.out("sharded"), "--merge")
        self.assertIn("merged %d points" % TINY_POINTS, merged.stdout)
        self.run_ok("--out", self.out("local"), "--jobs", "2")
        self.assertEqual(differences(self.out("local"), self.out("sharded")), [])

    def test_merge_of_an_incomplete_folder_lists_the_missing_points(self):
        self.run_ok("--out", self.out("half"), "--shard", "1/2")
        done = qlab_suite(QLAB, self.suite, "--out", self.out("half"), "--merge")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("4 of 8 points are missing", done.stdout)
        # Shard 2 of 2 has the odd point numbers: tiny 001, 003, 005 and zipped 001.
        for point in ("tiny/001 pull (queue.design=pull, consumers[1].service.mean=40ms)",
                      "tiny/003 preassigned (queue.design=preassigned, consumers[1].service.mean=20ms)",
                      "tiny/005 preassigned", "zipped/001 pull"):
            self.assertIn(point, done.stdout)
        self.assertNotIn("tiny/000", done.stdout)
        self.assertFalse(os.path.exists(self.out("half/results.csv")))
        # The other shard completes it.
        self.run_ok("--out", self.out("half"), "--shard", "2/2")
        self.run_ok("--out", self.out("half"), "--merge")
        self.assertTrue(os.path.exists(self.out("half/results.csv")))

    def test_bad_shard_and_slurm_options_exit_2_before_anything_is_written(self):
        cases = [
            (["--shard", "0/4"], "--shard 0/4: not a shard (expected I/N with 1 <= I <= N"),
            (["--shard", "5/4"], "--shard 5/4: not a shard"),
            (["--shard", "2"], "--shard 2: not a shard"),
            (["--shard", "1/4", "--merge"], "excludes"),
            (["--slurm-tasks", "4"], "--slurm-tasks and --slurm-option go with --slurm or --slurm-script"),
            (["--slurm-script", self.out("job.sh"), "--slurm-option=time=10"], "--slurm-option=time=10: not an sbatch option"),
        ]
        for args, message in cases:
            done = qlab_suite(QLAB, self.suite, "--out", self.out("bad"), *args)
            self.assertEqual(done.returncode, 2, "%s: %s" % (args, done.stdout + done.stderr))
            self.assertIn(message, done.stderr, args)
            self.assertFalse(os.path.exists(self.out("bad")), args)

    def test_slurm_script_only_writes_the_array_script(self):
        script = self.out("job.sh")
        done = self.run_ok("--out", self.out("s"), "--slurm-script", script, "--slurm-tasks", "3",
                           "--slurm-option=--time=10", "--slurm-option=--partition=short", "--filter", "zip")
        self.assertIn("submit it with: sbatch " + script, done.stdout)
        with open(script) as f:
            text = f.read()
        self.assertIn("#SBATCH --array=1-2\n", text)  # the filtered suite has 2 points: no empty shard
        self.assertIn("#SBATCH --time=10\n#SBATCH --partition=short\n", text)
        self.assertIn("--filter 'zip' --shard \"$shard/2\"", text)
        self.assertTrue(os.access(script, os.X_OK))
        self.assertFalse(os.path.exists(self.out("s/runs")))  # nothing ran


if __name__ == "__main__":
    QLAB = sys.argv.pop(1)
    unittest.main(verbosity=2)
