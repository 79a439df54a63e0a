"""Writes every figure of a qlab results folder and an index.html report under DIR/plots/.

    python3 analysis/plot.py DIR [--metrics KEY,KEY...] [--x PATH]

DIR is a run folder (`qlab run --out`), a suite folder (`qlab suite --out`), or a folder holding several
run folders, which are then compared as designs (with a warning when they ran different scenarios).
--metrics replaces the metrics drawn in the sweep and bar figures (every suite run's plot.metrics); --x the
x parameter of every suite run that sweeps it. Prints the path of index.html. Exit code 2 when DIR holds no
results, an option is wrong, or matplotlib is missing.
"""

import argparse
import difflib
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


def _modules_findings():
    import findings
    return findings


def per_run_figures(series, out_dir, prefix, context, timeseries=None):
    """Latency, time series (of the columns given, else the default ones), per-consumer and (with several
    producer groups) per-group latency figures for runs compared side by side."""
    _, plot_consumers, plot_latency, _, _, plot_timeseries, _ = _modules()
    figures = plot_latency.latency_figures(series, out_dir, prefix, context)
    figures.append(plot_timeseries.timeseries_figure(series, out_dir, prefix + "timeseries", context, timeseries))
    figures.append(plot_consumers.consumers_figure(series, out_dir, prefix + "consumers", context))
    import plot_groups
    figures.append(plot_groups.groups_figure(series, out_dir, prefix + "groups", context))
    return [f for f in figures if f]


def run_summary_table(run):
    ps = _modules()[3]
    rows = []
    for key, m in run.metrics.items():
        rows.append([ps.metric_name(key), key, ps.format_value(key, m.get("mean"), m.get("ci95")),
                     ps.format_value(key, m.get("min")), ps.format_value(key, m.get("max"))])
    return ps.Table(["metric", "key", "mean \u00b1 95% CI", "min", "max"], rows,
                    "every metric over %d repetition%s" % (run.summary.get("repetitions", 1),
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
    findings = _modules_findings()
    section = report.Section("Scenario %s, design %s (%s mode, seed %s)" % (
        run.scenario, run.design, run.summary.get("mode", "sim"), run.summary.get("seed")),
        run.resolved.get("description", ""), [run_summary_table(run)], figures,
        findings=[findings.summary_of_run(run)])
    return report.write_index(out_dir, "qlab results: %s" % run.scenario, "", [section],
                              _data_links(out_dir, run.path))


def plot_runs(runs, out_dir, metrics=None):
    plot_bars, _, _, _, _, _, report = _modules()
    ps = _modules()[3]
    series = sorted(zip(qr.label_runs(runs), runs), key=lambda s: ps.design_rank(s[0]))
    labels = [label for label, _ in series]
    ps.register_designs(labels)
    runs = [run for _, run in series]
    scenarios = list(dict.fromkeys(r.scenario for r in runs))
    notes = []
    if len(scenarios) > 1:
        warning = ("%s holds runs of %d different scenarios (%s): they are compared side by side as designs, "
                   "but their differences are not only the design's" % (
                       os.path.dirname(out_dir), len(scenarios), ", ".join(scenarios)))
        print("plot.py: warning: " + warning, file=sys.stderr)
        notes.append("Warning: " + warning + ".")
    context = ", ".join(scenarios) + " \u2014 " + " vs ".join(labels)
    entries = [plot_bars.run_entry(l, r) for l, r in series]
    figures = [plot_bars.bars_figure(entries, out_dir, "designs", ", ".join(scenarios), metrics)]
    figures += per_run_figures(series, out_dir, "", ", ".join(scenarios))
    findings = _modules_findings()
    shown = plot_bars.choose_metrics(entries, metrics)
    sentences = notes + [findings.compare(key, [(e[0], e[2].get(key)) for e in entries]) for key in shown[:2]]
    section = report.Section("Designs compared: %s" % context, "Run folders: " + ", ".join(
        os.path.relpath(r.path, os.path.dirname(out_dir)) for r in runs), [runs_summary_table(labels, runs)],
        [f for f in figures if f], findings=[t for t in sentences if t])
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
    description = ""
    if len(combos) > 1 and points:
        x_path = run.x_path()
        named = [x_path] if x_path and x_path in dict(chosen) else []
        named += [k for k in (at if isinstance(at, dict) else {}) if k not in named]
        if not named:  # no x: every swept parameter that is not the design
            named = [k for k, _ in chosen if k in set(run.swept)]
        description = ", ".join(x_text(run, k, points[0]) for k in named)
    return points, description


def x_text(run, path, point, number=None):
    """A swept parameter and its value at a point (or the given SI value of it), in words and the figure's
    units: 'slow/fast speed ratio 8', 'stall window 60 s'."""
    plot_sweep = _modules()[4]
    value, kind = plot_sweep.point_x(point, path)
    number = value if number is None else number
    if path == run.x_path() and kind != "text":
        factor, label = plot_sweep.x_axis(kind, [number], path, plot_sweep.x_name(run, path), run.plot.get("x_scale"))
        name, _, unit = label.partition(" (")
        unit = unit.rstrip(")")
        return "%s %g%s" % (name, float("%.4g" % (number * factor)), " " + unit if unit else "")
    resolved = point.run.resolved if point.run else {}
    return "%s %s" % (qr.describe_path(path, resolved), point.params.get(path, number))


def suite_summary_table(run):
    ps = _modules()[3]
    swept = _distinct_columns([s for s in run.swept if s not in DESIGN_PATHS], [p.params for p in run.points])
    keys = [k for k in SUMMARY_METRICS if any(not math.isnan(p.metric(k)[0]) for p in run.points)]
    rows = []
    for p in run.points:
        row = ["%03d" % p.point if isinstance(p.point, (int, float)) else str(p.point), p.label]  # "001" or 1
        row += [str(p.params.get(s, "")) for s in swept]
        row += [ps.format_value(k, *p.metric(k)[:2]) for k in keys]
        rows.append(row)
    resolved = next((p.run.resolved for p in run.points if p.run), {})
    return ps.Table(["point", "design"] + [qr.describe_path(s, resolved) for s in swept] +
                    [ps.metric_name(k) for k in keys], rows, "every point: mean \u00b1 95% CI over repetitions")


def _distinct_columns(columns, rows):
    """The columns without those repeating an earlier one in every row (a zip partner: both stall windows)."""
    return [c for i, c in enumerate(columns)
            if not any(all(str(r.get(c)) == str(r.get(d)) for r in rows) for d in columns[:i])]


def comparisons_table(run, rows):
    """The significant paired differences of comparisons.csv for one suite run, with units: those whose 95%
    interval excludes zero (the full file is linked from the top of the report)."""
    ps = _modules()[3]
    resolved = next((p.run.resolved for p in run.points if p.run), {})
    swept = _distinct_columns([c for c in run.swept if not run.is_design_path(c) and any(
        str(r.get(c, "")) != "" for r in rows)], rows)
    kept = [r for r in rows if isinstance(r.get("mean_difference"), float) and isinstance(r.get("ci95"), float)
            and (r.get("n") or 0) > 1 and abs(r["mean_difference"]) > r["ci95"]]
    out = []
    for r in kept:
        key = str(r.get("metric"))
        difference = r["mean_difference"]
        text = ps.format_value(key, abs(difference), r["ci95"])
        out.append([str(r.get(c, "")) for c in swept] + ["%s \u2212 %s" % (r.get("design"), r.get("baseline")),
                                                         ps.metric_name(key), ("+" if difference > 0 else "\u2212") + text,
                                                         "%d" % r["n"]])
    headers = [qr.describe_path(c, resolved) for c in swept] + ["design \u2212 baseline", "metric",
                                                                "difference \u00b1 95% CI", "pairs"]
    return ps.Table(headers, out, "significant paired differences: %d of %d in comparisons.csv (the 95%% "
                    "interval of the difference excludes zero)" % (len(kept), len(rows)))


def _same_value(a, b):
    """Parameter values as written and as read back from a CSV ('3' and 3.0) compare equal."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def paired_differences(run, comparisons, point, key):
    """{design: (mean difference to the baseline, ci95)} of comparisons.csv at one point of the run."""
    swept = [c for c in run.swept if not run.is_design_path(c)]
    label_of = {p.design: p.label for p in run.points}  # comparisons.csv names designs as suite.json does
    out = {}
    for r in comparisons:
        if str(r.get("run")) == run.name and r.get("metric") == key and isinstance(r.get("ci95"), float) and all(
                _same_value(r.get(c), point.params.get(c)) for c in swept):
            out[label_of.get(str(r.get("design")), str(r.get("design")))] = (r["mean_difference"], r["ci95"])
    return out


def run_findings(run, points, at, metrics, comparisons=()):
    """The sentences at the top of a suite run's section: its claim, the designs compared at the
    representative point on the main metrics, how the main metric moves along the sweep, and drain times."""
    findings, plot_sweep = _modules_findings(), _modules()[4]
    sentences = []
    designs = list(dict.fromkeys(p.label for p in points))
    where = ("at " + at) if at else ""
    if len(designs) > 1:
        drain = ["drain_time"] if run.plot.get("drain_time") else []
        for key in drain + metrics[:2 - len(drain)]:
            paired = paired_differences(run, comparisons, points[0], key)
            sentence = findings.compare(key, [(p.label, p.metric(key)) for p in points], where, paired)
            if sentence:
                sentences.append(sentence)
    x_path = run.x_path()
    for key in (metrics[:1] if len(designs) > 1 else metrics[:2]) if x_path else []:
        lines = {}
        # Parameters that vary at a fixed x (not zip partners of x) are held at the representative point's values.
        x_of = {id(p): str(p.params.get(x_path)) for p in run.points}
        others = [k for k in run.swept if k != x_path and not run.is_design_path(k) and any(
            len({str(q.params.get(k)) for q in run.points if x_of[id(q)] == x_of[id(p)]}) > 1 for p in run.points)]
        for p in run.points:
            if any(str(p.params.get(k)) != str(points[0].params.get(k)) for k in others):
                continue
            value, kind = plot_sweep.point_x(p, x_path)
            if kind != "text" and value is not None:
                lines.setdefault(p.label, []).append((value, p.metric(key)))
        ordered = [(label, sorted(v, key=lambda e: e[0])) for label, v in lines.items()]
        if ordered and len({x for _, v in ordered for x, _ in v}) > 1:
            sentence = findings.trend(key, ordered, lambda x: x_text(run, x_path, points[0], x))
            if sentence:
                sentences.append(sentence)
    if not sentences and points and metrics:  # one design, nothing swept: its numbers
        ps = _modules()[3]
        sentences.append("%s%s: %s." % ((where[0].upper() + where[1:] + ", ") if where else "", points[0].label, ", ".join(
            "%s %s" % (ps.metric_name(k), ps.format_value(k, *points[0].metric(k)[:2])) for k in metrics[:3])))
    return sentences


def _apply_options(suite, metrics, x):
    """--metrics and --x: every run's plot map takes them (x only where the run sweeps it)."""
    for run in suite.runs:
        plot = dict(run.plot)
        if metrics:
            plot["metrics"] = list(metrics)
        if x:
            if x in run.swept:
                plot["x"] = x
            else:
                print("plot.py: warning: --x %s: run %s does not sweep it (it sweeps %s); its figures keep their x" % (
                    x, run.name, ", ".join(run.swept) or "nothing"), file=sys.stderr)
        run.spec["plot"] = plot


def plot_suite(suite, out_dir, metrics=None, x=None):
    plot_bars, _, _, ps, plot_sweep, _, report = _modules()
    _apply_options(suite, metrics, x)
    sections = []
    ps.register_designs([p.label for run in suite.runs for p in run.points])
    for run in suite.runs:
        prefix = ps.slug(run.name) + "-"
        x_path = run.x_path()
        context = "%s (scenario %s)" % (run.name, run.scenario)
        figures = [plot_sweep.sweep_figure(run, out_dir, prefix + "sweep", context)]
        if run.plot.get("drain_time") and x_path:
            figures.append(plot_sweep.sweep_figure(run, out_dir, prefix + "drain-time", context, ["drain_time"]))
        points, at = representative(run)
        at_context = context + (", at " + at if at else "")
        designs = list(dict.fromkeys(p.label for p in run.points))
        bar_metrics = plot_bars.DEFAULT_METRICS + list(run.plot.get("metrics", []))
        if run.plot.get("drain_time"):
            bar_metrics.append("drain_time")
        if len(designs) > 1:
            if figures[0] is None and x_path is None:
                entries = [(p.label, ", ".join(x_text(run, k, p) for k in sorted(p.params) if not run.is_design_path(k)),
                            {k: p.metric(k) for k in bar_metrics}) for p in run.points]
                figures.append(plot_bars.bars_figure(entries, out_dir, prefix + "designs", context,
                                                     run.plot.get("metrics")))
            else:
                entries = [(p.label, "", {k: p.metric(k) for k in bar_metrics}) for p in points]
                figures.append(plot_bars.bars_figure(entries, out_dir, prefix + "designs", at_context,
                                                     run.plot.get("metrics")))
        figures += per_run_figures([(p.label, p.run) for p in points], out_dir, prefix, at_context,
                                   run.plot.get("timeseries"))
        entries = [(p.label, "", {k: p.metric(k) for k in bar_metrics}) for p in points]
        main_metrics = plot_bars.choose_metrics(entries, run.plot.get("metrics"))
        main_metrics = [m for m in main_metrics if any(not math.isnan(p.metric(m)[0]) and p.metric(m)[0] != 0
                                                       for p in run.points)] or main_metrics
        sweep = ", ".join(dict.fromkeys(plot_sweep.x_name(run, s).split(" (")[0] if s == x_path else qr.describe_path(
            s, points[0].run.resolved if points else {}) for s in run.swept if not run.is_design_path(s)))
        intro = run.spec.get("description", "")
        intro = (intro + " " if intro else "") + "Scenario %s; %s; designs: %s." % (
            run.scenario, "swept: " + sweep if sweep else "no sweep", ", ".join(designs))
        if at:
            intro += " Distributions, time series and consumers are shown at %s." % at
        summary = [suite_summary_table(run)]
        comparisons = [r for r in suite.comparisons if str(r.get("run")) == run.name]
        if comparisons:
            summary.append(comparisons_table(run, comparisons))
        sections.append(report.Section("Run %s" % run.name, intro, summary, [f for f in figures if f],
                                       findings=run_findings(run, points, at, main_metrics, comparisons),
                                       claim=run.spec.get("claim", "")))
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


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="plot.py", description=__doc__.strip().splitlines()[0])
    parser.add_argument("dir", help="a run folder, a suite folder, or a folder of run folders")
    parser.add_argument("--metrics", help="metric keys to draw, comma-separated (e.g. makespan,latency_p99)")
    parser.add_argument("--x", help="the swept path to put on the x axis of every suite run that sweeps it")
    try:
        return parser.parse_args(argv)
    except SystemExit as e:
        raise SystemExit(2 if e.code else 0)


def main(argv):
    args = _arguments(argv)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plot.py: this Python (%s) has no matplotlib; install it with `apt-get install "
              "python3-matplotlib` and run /usr/bin/python3" % sys.executable, file=sys.stderr)
        return 2
    path = args.dir
    try:
        kind, results = qr.load(path)
    except ValueError as e:
        print("plot.py: %s" % e, file=sys.stderr)
        return 2
    ps = _modules()[3]
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics is not None else None
    unknown = [m for m in metrics or [] if m not in ps.METRICS]
    if unknown or metrics == []:
        near = difflib.get_close_matches(unknown[0], list(ps.METRICS), 1) if unknown else []
        print("plot.py: --metrics: unknown metric '%s' (%sexpected metric keys of docs/METRICS.md: %s)" % (
            unknown[0] if unknown else "", "did you mean '%s'? " % near[0] if near else "",
            ", ".join(ps.METRICS)), file=sys.stderr)
        return 2
    out_dir = os.path.join(path, "plots")
    if kind == "suite":
        if not results.points:
            print("plot.py: %s: the suite has no finished points yet" % path, file=sys.stderr)
            return 2
        if args.x and not any(args.x in run.swept for run in results.runs):
            print("plot.py: --x %s: no run of the suite sweeps it (swept: %s)" % (args.x, ", ".join(
                dict.fromkeys(s for run in results.runs for s in run.swept)) or "nothing"), file=sys.stderr)
            return 2
        index = plot_suite(results, out_dir, metrics, args.x)
    elif args.x:
        print("plot.py: --x applies to suite folders only (%s is not one)" % path, file=sys.stderr)
        return 2
    elif kind == "run":
        index = plot_run(results, out_dir)
    else:
        index = plot_runs(results, out_dir, metrics)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
