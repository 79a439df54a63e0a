"""Builds suite folders the way `qlab suite --out` lays them out (RESULTS.md), from real `qlab run --out`
run folders plus a hand-written suite.json and results.csv, so the plots can be tested without the suite
runner. Standard library only.

    python3 tests/analysis/suite_fixture.py QLAB OUT_DIR [small|demo]
"""

import csv
import itertools
import json
import os
import subprocess
import sys

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(SOURCE_DIR, "workloads", "examples")


def qlab_run(qlab, scenario, sets, out_dir, reps):
    """`qlab run SCENARIO --set ... --reps N --out DIR`; raises with qlab's stderr when it fails."""
    command = [qlab, "run", scenario, "--reps", str(reps), "--threads", "2", "--out", out_dir]
    for path, value in sets.items():
        command += ["--set", "%s=%s" % (path, value)]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if done.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(command), done.returncode, done.stderr))


def make_suite(qlab, out_dir, name, runs, reps=2, description=""):
    """runs: [{name, scenario (file name in workloads/examples), sets {path: value}, sweep {path: [values]},
    variants [{path: value}] (crossed with the sweep, like a zip of design keys), plot {...}}]. Writes suite.json, results.csv and runs/<run>/<NNN>/ under out_dir."""
    suite_runs, points, rows = [], [], []
    metric_keys = None
    swept_columns = []
    for run in runs:
        sweep = run.get("sweep", {})
        variant_paths = [p for v in run.get("variants", []) for p in v]
        for path in list(run.get("sets", {})) + list(sweep) + variant_paths:
            if path not in swept_columns:
                swept_columns.append(path)
    for run in runs:
        sweep = run.get("sweep", {})
        paths = list(sweep)
        variants = run.get("variants", [{}])
        swept = paths + list(dict.fromkeys(p for v in variants for p in v))
        suite_runs.append({"name": run["name"], "scenario": run["scenario"], "swept": swept,
                           **({"plot": run["plot"]} if "plot" in run else {})})
        combos = itertools.product(itertools.product(*[sweep[p] for p in paths]), variants)
        for number, (values, variant) in enumerate(combos):
            params = dict(run.get("sets", {}))
            params.update(zip(paths, values))
            params.update(variant)
            rel = os.path.join("runs", run["name"], "%03d" % number)
            qlab_run(qlab, os.path.join(EXAMPLES, run["scenario"]), params, os.path.join(out_dir, rel), reps)
            with open(os.path.join(out_dir, rel, "summary.json")) as f:
                summary = json.load(f)
            # As qlab suite writes them: the point id as text and the folder relative to the suite.
            points.append({"run": run["name"], "point": "%03d" % number, "folder": rel,
                           "params": {p: str(v) for p, v in params.items()}, "design": summary["design"]})
            for r in summary["runs"]:
                if metric_keys is None:
                    metric_keys = list(r["metrics"])
                row = {"run": run["name"], "point": "%03d" % number, "design": summary["design"]}
                row.update({p: params.get(p, "") for p in swept_columns})
                row.update({"repetition": r["repetition"], "seed": r["seed"]})
                row.update({k: r["metrics"].get(k, "") for k in metric_keys})
                rows.append(row)
    with open(os.path.join(out_dir, "suite.json"), "w") as f:
        json.dump({"name": name, "description": description, "runs": suite_runs, "points": points}, f, indent=1)
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, ["run", "point", "design"] + swept_columns + ["repetition", "seed"] + metric_keys)
        writer.writeheader()
        writer.writerows(rows)
    return out_dir


# The tiny suite of the end-to-end test: a load sweep with theory lines, and a design-only comparison.
SMALL = [
    {"name": "load", "scenario": "mm8.yaml",
     "sets": {"duration": "300s", "warmup": "30s"},
     "sweep": {"producers[0].rate": ["4/s", "6.4/s"], "queue.design": ["pull", "preassigned"]},
     "plot": {"x": "producers[0].rate", "x_label": "arrival rate", "metrics": ["wait_mean", "latency_p99"],
              "theory": ["mmc", "per_consumer_mm1"]}},
    {"name": "designs", "scenario": "hetero.yaml",
     "sets": {"producers[0].messages": "800"},
     "sweep": {"queue.design": ["pull", "preassigned"]}},
]

# A fuller suite for looking at the figures while developing them.
DEMO = [
    {"name": "heterogeneity", "scenario": "hetero.yaml",
     "sets": {"producers[0].messages": "4000"},
     "sweep": {"consumers[1].service.mean": ["100ms", "200ms", "400ms", "800ms"]},
     "variants": [{"queue.design": "pull"}, {"queue.design": "preassigned", "queue.assignment": "round_robin"},
                  {"queue.design": "preassigned", "queue.assignment": "random"}],
     "plot": {"x": "consumers[1].service.mean", "x_label": "slow consumers' mean service time",
              "metrics": ["makespan", "idle_with_backlog"]}},
    {"name": "load", "scenario": "mm8.yaml",
     "sets": {"duration": "2000s", "warmup": "100s"},
     "sweep": {"producers[0].rate": ["4/s", "5.6/s", "6.4/s", "7.2/s", "7.6/s"],
               "queue.design": ["pull", "preassigned"]},
     "plot": {"x": "producers[0].rate", "x_label": "arrival rate", "metrics": ["wait_mean", "latency_mean"],
              "theory": ["mmc", "per_consumer_mm1"]}},
    {"name": "crashes", "scenario": "crashes.yaml",
     "sweep": {"queue.design": ["pull", "visibility_timeout"]}},
]


def main(argv):
    qlab, out_dir = argv[0], argv[1]
    which = argv[2] if len(argv) > 2 else "small"
    os.makedirs(out_dir, exist_ok=True)
    make_suite(qlab, out_dir, "fixture-" + which, SMALL if which == "small" else DEMO,
               reps=2 if which == "small" else 3, description="a hand-made suite folder for the plot tests")
    print(out_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
