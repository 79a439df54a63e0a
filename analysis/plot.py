"""Writes every figure of a qlab results folder and an index.html report under DIR/plots/.

    python3 analysis/plot.py DIR

DIR is a run folder (`qlab run --out`), a suite folder (`qlab suite --out`), or a folder holding several
run folders, which are then compared as designs. Prints the path of index.html. Exit code 2 when DIR holds
no results or matplotlib is missing.
"""

import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import qlab_results as qr  # noqa: E402

DESIGN_PATHS = ("queue", "queue.design", "queue.assignment")
SUMMARY_METRICS = ["published", "unique_processed", "lost", "duplicates", "redeliveries", "latency_mean",
                   "latency_p99", "wait_mean", "throughput", "makespan", "utilization_mean", "idle_with_backlog"]


def _modules():
    """The plotting modules, imported only once matplotlib is known to be there."""
    import plot_bars
    import plot_consumers
    import plot_latency
    import plot_style
    import plot_sweep
    import plot_timeseries
    import report
    return plot_bars, plot_consumers, plot_latency, plot_style, plot_sweep, plot_timeseries, report


def per_run_figures(series, out_dir, prefix, context):
    """Latency, time series and per-consumer figures for runs compared side by side."""
    _, plot_consumers, plot_latency, _, _, plot_timeseries, _ = _modules()
    figures = plot_latency.latency_figures(series, out_dir, prefix, context)
    figures.append(plot_timeseries.timeseries_figure(series, out_dir, prefix + "timeseries", context))
    figures.append(plot_consumers.consumers_figure(series, out_dir, prefix + "consumers", context))
    return [f for f in figures if f]


def run_summary_table(run):
    ps = _modules()[3]
    rows = []
    for key, m in run.metrics.items():
        rows.append([ps.metric_name(key), key, ps.format_value(key, m.get("mean"), m.get("ci95")),
                     ps.format_value(key, m.get("min")), ps.format_value(key, m.get("max"))])
    return ps.Table(["metric", "key", "mean \u00b1 95% CI", "min", "max"], rows,
                    "summary over %d repetition%s" % (run.summary.get("repetitions", 1),
                                                      "" if run.summary.get("repetitions", 1) == 1 else "s"))


def runs_summary_table(labels, runs):
    ps = _modules()[3]
    keys = [k for k in runs[0].metrics if all(k in r.metrics for r in runs)]
    rows = [[ps.metric_name(k)] + [ps.format_value(k, r.metrics[k].get("mean"), r.metrics[k].get("ci95"))
                                   for r in runs] for k in keys]
    return ps.Table(["metric"] + labels, rows, "mean \u00b1 95% CI per design")


def plot_run(run, out_dir):
    report = _modules()[6]
    context = "%s, %s" % (run.scenario, run.design)
    figures = per_run_figures([(qr.label_runs([run])[0], run)], out_dir, "", context)
    section = report.Section("Scenario %s, design %s (%s mode, seed %s)" % (
        run.scenario, run.design, run.summary.get("mode", "sim"), run.summary.get("seed")),
        run.resolved.get("description", ""), [run_summary_table(run)], figures)
    return report.write_index(out_dir, "qlab results: %s" % run.scenario, "", [section],
                              _data_links(out_dir, run.path))


def plot_runs(runs, out_dir):
    plot_bars, _, _, _, _, _, report = _modules()
    ps = _modules()[3]
    series = sorted(zip(qr.label_runs(runs), runs), key=lambda s: ps.design_rank(s[0]))
    labels = [label for label, _ in series]
    ps.register_designs(labels)
    runs = [run for _, run in series]
    scenarios = list(dict.fromkeys(r.scenario for r in runs))
    context = ", ".join(scenarios) + " \u2014 " + " vs ".join(labels)
    figures = [plot_bars.bars_figure([plot_bars.run_entry(l, r) for l, r in series], out_dir, "designs",
                                     ", ".join(scenarios))]
    figures += per_run_figures(series, out_dir, "", ", ".join(scenarios))
    section = report.Section("Designs compared: %s" % context, "Run folders: " + ", ".join(
        os.path.relpath(r.path, os.path.dirname(out_dir)) for r in runs), [runs_summary_table(labels, runs)],
        [f for f in figures if f])
    return report.write_index(out_dir, "qlab comparison: %s" % ", ".join(scenarios), "", [section])


def representative(run):
    """(points, description) at which per-run figures are drawn: the plot map's 'at' parameters if given,
    else the largest x (the smallest with invert_x: the most stressed point) with every design."""
    def combo(p):
        return tuple(sorted((k, str(v)) for k, v in p.params.items() if not run.is_design_path(k)))
    combos = list(dict.fromkeys(combo(p) for p in run.points))
    at = run.plot.get("at")
    chosen = None
    if isinstance(at, dict):
        wanted = tuple(sorted((k, str(v)) for k, v in at.items()))
        chosen = next((c for c in combos if set(wanted) <= set(c)), None)
    if chosen is None:
        x_path = run.x_path()
        if x_path and len(combos) > 1:
            plot_sweep = _modules()[4]

            def x_of(c):
                point = next(p for p in run.points if combo(p) == c)
                value, kind = plot_sweep.point_x(point, x_path)
                return value if kind != "text" else 0.0
            # The most stressed end: the largest x, or the smallest when the suite says x is inverted.
            chosen = (min if run.plot.get("invert_x") else max)(combos, key=x_of)
        else:
            chosen = combos[-1]
    points = [p for p in run.points if combo(p) == chosen and p.run]
    swept = set(run.swept)
    description = ", ".join("%s=%s" % (k, v) for k, v in chosen if k in swept) if len(combos) > 1 else ""
    return points, description


def suite_summary_table(run):
    ps = _modules()[3]
    swept = [s for s in run.swept if s not in DESIGN_PATHS]
    keys = [k for k in SUMMARY_METRICS if any(not math.isnan(p.metric(k)[0]) for p in run.points)]
    rows = []
    for p in run.points:
        row = ["%03d" % p.point if isinstance(p.point, (int, float)) else str(p.point), p.label]  # "001" or 1
        row += [str(p.params.get(s, "")) for s in swept]
        row += [ps.format_value(k, *p.metric(k)[:2]) for k in keys]
        rows.append(row)
    return ps.Table(["point", "design"] + swept + [ps.metric_name(k) for k in keys], rows,
                    "every point: mean \u00b1 95% CI over repetitions")


def plot_suite(suite, out_dir):
    plot_bars, _, _, ps, plot_sweep, _, report = _modules()
    sections = []
    ps.register_designs([p.label for run in suite.runs for p in run.points])
    for run in suite.runs:
        prefix = ps.slug(run.name) + "-"
        x_path = run.x_path()
        sweep = ("sweep over " + ", ".join(s for s in run.swept if not run.is_design_path(s))
                 if any(not run.is_design_path(s) for s in run.swept) else "")
        context = "%s (scenario %s)" % (run.name, run.scenario)
        figures = [plot_sweep.sweep_figure(run, out_dir, prefix + "sweep", context)]
        points, at = representative(run)
        at_context = context + (", at " + at if at else "")
        designs = list(dict.fromkeys(p.label for p in run.points))
        if len(designs) > 1:
            if figures[0] is None and x_path is None:
                entries = [(p.label, ", ".join("%s=%s" % (k.split(".")[-1], v) for k, v in sorted(p.params.items())
                                               if not run.is_design_path(k)),
                            {k: p.metric(k) for k in plot_bars.DEFAULT_METRICS + list(run.plot.get("metrics", []))})
                           for p in run.points]
                figures.append(plot_bars.bars_figure(entries, out_dir, prefix + "designs", context,
                                                     run.plot.get("metrics")))
            else:
                entries = [(p.label, "", {k: p.metric(k) for k in plot_bars.DEFAULT_METRICS +
                                          list(run.plot.get("metrics", []))}) for p in points]
                figures.append(plot_bars.bars_figure(entries, out_dir, prefix + "designs", at_context,
                                                     run.plot.get("metrics")))
        figures += per_run_figures([(p.label, p.run) for p in points], out_dir, prefix, at_context)
        intro = run.spec.get("description", "")
        intro = (intro + " " if intro else "") + "Scenario %s; %s; designs: %s." % (
            run.scenario, sweep or "no sweep", ", ".join(designs))
        if at:
            intro += " Distributions, time series and consumers are shown at %s." % at
        summary = [suite_summary_table(run)]
        comparisons = [r for r in suite.comparisons if str(r.get("run")) == run.name]
        if comparisons:
            headers = list(comparisons[0].keys())
            summary.append(ps.Table(headers, [["%.6g" % v if isinstance(v, float) else str(v) for v in r.values()]
                                              for r in comparisons], "paired differences (comparisons.csv)"))
        sections.append(report.Section("Run %s" % run.name, intro, summary, [f for f in figures if f]))
    links = [("results.csv", "../results.csv")]
    if suite.comparisons:
        links.append(("comparisons.csv", "../comparisons.csv"))
    return report.write_index(out_dir, "qlab suite: %s" % suite.name, suite.description, sections, links)


def _data_links(out_dir, run_dir):
    links = []
    for name in ("summary.json", "timeseries.csv", "consumers.csv", "faults.csv", "histograms.json", "messages.csv"):
        if os.path.exists(os.path.join(run_dir, name)):
            links.append((name, os.path.relpath(os.path.join(run_dir, name), out_dir)))
    return links


def main(argv):
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plot.py: this Python (%s) has no matplotlib; install it with `apt-get install "
              "python3-matplotlib` and run /usr/bin/python3" % sys.executable, file=sys.stderr)
        return 2
    path = argv[0]
    try:
        kind, results = qr.load(path)
    except ValueError as e:
        print("plot.py: %s" % e, file=sys.stderr)
        return 2
    out_dir = os.path.join(path, "plots")
    if kind == "suite":
        if not results.points:
            print("plot.py: %s: the suite has no finished points yet" % path, file=sys.stderr)
            return 2
        index = plot_suite(results, out_dir)
    elif kind == "run":
        index = plot_run(results, out_dir)
    else:
        index = plot_runs(results, out_dir)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
