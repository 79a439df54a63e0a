"""A metric against a swept parameter, one line per design with a Student-t 95% CI band, from a suite
run's plot map ({x, x_label, metrics, theory}); theory lines for 'mmc' and 'per_consumer_mm1' where the
metric is one a model predicts (wait_mean, latency_mean).

    python3 analysis/plot_sweep.py SUITE_DIR   # writes one figure per suite run into SUITE_DIR/plots/
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

import plot_bars  # noqa: E402
import plot_style as ps  # noqa: E402
import qlab_results as qr  # noqa: E402
import queueing_theory as qt  # noqa: E402

THEORY_GRID = 120


def point_x(point, path):
    """(value, kind) of the x parameter at a point: its sweep value, else the value in its scenario."""
    raw = point.params.get(path)
    if raw is None and point.run:
        raw = qr.get_path(point.run.resolved, path)
    if raw is None:
        return None, "text"
    if isinstance(raw, dict):  # a distribution: its mean stands for it
        try:
            return qr.distribution_moments(raw)[0], "duration"
        except (ValueError, KeyError):
            return str(raw), "text"
    return qr.parse_quantity(raw)


def series_key(point, x_path, others):
    """The line a point belongs to: its design label, plus any other parameter that varies (named in words)."""
    resolved = point.run.resolved if point.run else {}
    extra = ", ".join("%s %s" % (qr.describe_path(k, resolved), point.params.get(k)) for k in others)
    return point.label + (" (%s)" % extra if extra else "")


def x_name(run, x_path):
    """The x parameter in words: the plot map's x_label, else a description of the path."""
    resolved = next((p.run.resolved for p in run.points if p.run), {})
    return run.plot.get("x_label") or qr.describe_path(x_path, resolved)


def all_zero(values):
    """True when every finite value is zero: such a panel shows nothing and is left out."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return bool(finite) and all(v == 0 for v in finite)


def x_axis(kind, values, path, label, scale=None):
    """(factor, axis label) for the x values of a given kind. A plot map's x_scale multiplies the SI value
    (seconds, per second) and its x_label is then taken as it is; so is a label that names its unit."""
    name = label or path
    if scale is not None:
        return float(scale), name
    if label and "(" in label:
        return 1.0, label
    if kind == "duration":
        factor, unit = ps.time_scale(values)
        return factor, "%s (%s)" % (name, unit)
    if kind == "rate":
        return 1.0, "%s (messages/s)" % name
    if kind == "size":
        return 1.0, "%s (bytes)" % name
    return 1.0, name


def theory_curves(run, x_path, kind, xs, models):
    """{model: ([x], [prediction dict])} on a dense grid over [min x, max x], evaluated on the first point's
    resolved scenario with the x path set to each grid value; models that do not apply are left out and
    their reason recorded under the key ('skipped', model)."""
    out = {}
    base = next((p.run.resolved for p in run.points if p.run), None)
    if base is None or kind == "text" or not xs:
        return out
    lo, hi = min(xs), max(xs)
    grid = [lo + (hi - lo) * i / THEORY_GRID for i in range(THEORY_GRID + 1)] if hi > lo else [lo]
    for model in models:
        gx, gy, reason = [], [], None
        for x in grid:
            try:
                scenario = qr.set_path(base, x_path, qr.format_quantity(x, kind))
                prediction = qt.predict(scenario, model)
            except (KeyError, IndexError, TypeError, ValueError) as e:
                prediction = str(e)
            if isinstance(prediction, str):
                reason = prediction
                break
            gx.append(x)
            gy.append(prediction)
        if reason:
            out[("skipped", model)] = reason
        else:
            out[model] = (gx, gy, qt.model_label(model, base))
    return out


def sweep_figure(run, out_dir, name, context, metrics=None):
    """One panel per metric (`metrics`, else the plot map's, else the ones that vary most); None when the run
    sweeps nothing but the design."""
    x_path = run.x_path()
    if not x_path:
        return None
    points = [p for p in run.points]
    xs = {}
    kind = None
    for p in points:
        value, k = point_x(p, x_path)
        xs[id(p)] = value
        kind = k if kind in (None, k) else "text"
    if len({str(v) for v in xs.values()}) < 2:
        return None
    # Parameters that vary on their own split lines; zip partners of x (one value per x) do not.
    others = [s for s in run.swept if s != x_path and not run.is_design_path(s)
              and any(len({str(q.params.get(s)) for q in points if str(xs[id(q)]) == str(xs[id(p)])}) > 1
                      for p in points)]
    if kind == "text":
        categories = list(dict.fromkeys(str(xs[id(p)]) for p in points))
        position = {c: i for i, c in enumerate(categories)}
        for p in points:
            xs[id(p)] = float(position[str(xs[id(p)])])

    lines = {}
    for p in points:
        lines.setdefault(series_key(p, x_path, others), []).append(p)
    plot = run.plot
    wanted = metrics or plot.get("metrics")
    if not wanted:
        entries = [(p.label, "", {k: p.metric(k) for k in plot_bars.DEFAULT_METRICS}) for p in points]
        wanted = plot_bars.choose_metrics(entries)[:4]
    metrics = [m for m in wanted if any(not math.isnan(p.metric(m)[0]) for p in points)]
    zero = [m for m in metrics if all_zero([p.metric(m)[0] for p in points])]
    metrics = [m for m in metrics if m not in zero]
    if not metrics:
        return None
    models = [m for m in (plot.get("theory") or []) if m in qt.MODELS]
    theory = theory_curves(run, x_path, kind, [v for v in xs.values()], models) if models else {}

    ncols = min(2, len(metrics))
    nrows = int(math.ceil(len(metrics) / ncols))
    fig, axes = ps.new_figure(6.0 * ncols + 0.5, 3.8 * nrows + 0.7, nrows=nrows, ncols=ncols, squeeze=False)
    x_values = sorted(set(xs.values()))
    x_factor, x_label = x_axis(kind, x_values, x_path, x_name(run, x_path),
                               plot.get("x_scale") if kind != "text" else None)
    table_rows = []
    for k, key in enumerate(metrics):
        ax = axes[k // ncols][k % ncols]
        stats = {id(p): p.metric(key) for p in points}
        measured = [stats[i][0] + (stats[i][1] or 0) for i in stats if not math.isnan(stats[i][0])]
        factor, ylabel = ps.metric_scale(key, measured)
        for i, (line, members) in enumerate(lines.items()):
            members = sorted(members, key=lambda p: xs[id(p)])
            px = [xs[id(p)] * x_factor for p in members]
            mean = [stats[id(p)][0] * factor for p in members]
            ci = [(stats[id(p)][1] or 0) * factor for p in members]
            style = ps.design_style(line)
            colour = style["colour"]
            ax.plot(px, mean, color=colour, marker=style["marker"], markersize=4 + 2 * max(0, 2 - i),
                    linestyle=style["linestyle"], linewidth=ps.line_width(i), label=line)
            ax.fill_between(px, [m - c for m, c in zip(mean, ci)], [m + c for m, c in zip(mean, ci)],
                            color=colour, alpha=0.18, linewidth=0)
            for p in members:
                table_rows.append((key, xs[id(p)], line, stats[id(p)], p))
        if key in qt.PREDICTED_METRICS:
            for model in models:
                if model not in theory:
                    continue
                gx, gy, label = theory[model]
                which = qt.PREDICTED_METRICS[key]
                pts = [(x * x_factor, y[which] * factor) for x, y in zip(gx, gy) if math.isfinite(y[which])]
                colour, style = ps.THEORY_STYLES.get(model, ("#444444", "--"))
                ax.plot([x for x, _ in pts], [y for _, y in pts], color=colour, linestyle=style, linewidth=1.4,
                        label=label)
        # Theory grows without bound near saturation: keep the measured data in view.
        positive = [v * factor for v in measured if v > 0]
        if plot.get("log_y") and positive:
            ax.set_yscale("log")
            ax.set_ylim(min(positive) / 2, max(positive) * 3)
        else:
            top = max(measured, default=0) * factor
            if top <= 0:
                ax.set_ylim(0, 1)  # all zero: a flat line on the axis, not a singular range
            else:
                if ax.get_ylim()[1] > top * 1.6:
                    ax.set_ylim(top=top * 1.35)
                ax.set_ylim(bottom=0)
        ax.set_title(ps.metric_name(key), fontsize=10)
        _x_ticks(ax, [v * x_factor for v in x_values], kind, categories if kind == "text" else None,
                 plot.get("log_x"))
        ax.set_ylabel(ps.log_label(ylabel, ax.get_yscale()), fontsize=9)
        ax.set_xlabel(ps.log_label(x_label, ax.get_xscale()), fontsize=9)
        if plot.get("invert_x"):
            ax.invert_xaxis()
        ps.style_axes(ax)
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    handles, labels = [], []
    for row in axes:
        for ax in row:
            for h, l in zip(*ax.get_legend_handles_labels()):
                if l not in labels:
                    handles.append(h)
                    labels.append(l)
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, -0.01))
    head = "%s vs %s" % (", ".join(ps.metric_name(m) for m in metrics), x_label.split(" (")[0])
    fig.suptitle(ps.headline(head[0].upper() + head[1:], context), fontsize=11)
    fig.tight_layout(rect=(0, 0.07 if nrows == 1 else 0.04, 1, 1))
    ps.save(fig, out_dir, name)

    caption = ("How %s change%s with %s: the mean over repetitions at each swept value, one line per design "
               "(marker and dashes tell variants of one design apart); the band is the Student-t 95%% confidence "
               "interval of the mean." % (", ".join(ps.metric_name(m) for m in metrics), "s" if len(metrics) == 1
                                          else "", x_label.split(" (")[0]))
    if zero:
        caption += " Left out, zero for every design and point: %s." % ", ".join(ps.metric_name(m) for m in zero)
    for model in models:
        if model in theory:
            caption += " Dashed/dotted: %s prediction from the resolved scenario." % theory[model][2]
        elif ("skipped", model) in theory:
            caption += " No %s line: %s." % (qt.MODELS[model], theory[("skipped", model)])
    return ps.Figure(name, head[0].upper() + head[1:], caption,
                     [_table(table_rows, x_path, x_label, theory, models, categories if kind == "text" else None)])


def _x_ticks(ax, values, kind, categories, log_x=None):
    """Ticks at the swept values; a log axis when asked (log_x) or, unless told not to, when they span 8x."""
    if categories is not None:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories, fontsize=8)
        return
    positive = [v for v in values if v > 0]
    spans = len(positive) == len(values) and len(values) > 2 and max(values) / min(values) >= 8
    if positive and len(positive) == len(values) and (log_x or (log_x is None and spans)):
        ax.set_xscale("log")
    if len(values) <= 12:
        ax.xaxis.set_major_locator(FixedLocator(values))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % float("%.4g" % v)))


def _table(rows, x_path, x_label, theory, models, categories):
    headers = [x_label, "design", "metric", "mean \u00b1 95% CI", "repetitions"]
    shown = [m for m in models if m in theory]
    headers += [theory[m][2] for m in shown]
    out = []
    for key, x, line, (mean, ci, n), point in sorted(rows, key=lambda r: (r[0], r[2], r[1])):
        x_text = categories[int(x)] if categories is not None else str(point.params.get(x_path, "%g" % x))
        row = [x_text, line, ps.metric_name(key), ps.format_value(key, mean, ci), "%d" % n]
        for model in shown:
            if key in qt.PREDICTED_METRICS and point.run:
                prediction = qt.predict(point.run.resolved, model)
                value = prediction[qt.PREDICTED_METRICS[key]] if isinstance(prediction, dict) else math.nan
                row.append(ps.format_value(key, value))
            else:
                row.append("\u2013")
        out.append(row)
    return ps.Table(headers, out, "per sweep point")


def main(argv):
    suite = qr.Suite(argv[0])
    out = os.path.join(argv[0], "plots")
    for run in suite.runs:
        f = sweep_figure(run, out, ps.slug(run.name) + "-sweep", "%s (%s)" % (run.name, run.scenario))
        if f:
            print(os.path.join(out, f.png))


if __name__ == "__main__":
    main(sys.argv[1:])
