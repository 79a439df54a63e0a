"""Latency distribution per design from histograms.json (merged over repetitions): the CDF, and the
quantile curve on a log 'nines' axis (x = 1 / (1 - q)) as HdrHistogram plots draw it.

    python3 analysis/plot_latency.py RUN_DIR [RUN_DIR...]   # writes into the first RUN_DIR/plots/
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402

import plot_style as ps  # noqa: E402
import qlab_results as qr  # noqa: E402

NINES = [0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999]
TABLE_QUANTILES = [0.5, 0.9, 0.99, 0.999, 0.9999]


def _percent(q):
    text = "%.5f" % (q * 100)
    return text.rstrip("0").rstrip(".") + "%"


def quantile_curve(h, points_per_decade=40):
    """[(1/(1-q), value_seconds)] from q = 0 up to the deepest quantile the sample size supports."""
    count = h.get("count", 0) if h else 0
    if not count:
        return []
    top = min(1e5, float(count))  # beyond 1/count the curve only repeats the maximum
    steps = int(math.log10(top) * points_per_decade) + 1
    out = []
    for i in range(steps + 1):
        x = 10 ** (math.log10(top) * i / steps)
        q = 1 - 1 / x
        out.append((x, qr.histogram_quantile(h, q)))
    return out


def _series(series, metric):
    """[(label, histogram)] for the runs that have this histogram."""
    out = []
    for label, run in series:
        h = run.histogram(metric)
        if h and h.get("count"):
            out.append((label, h))
    return out


def _quantiles_said(hists, quantiles):
    """'Median: pull 1.2 s, preassigned 3.4 s. p99: ...' for a caption."""
    return " ".join("%s: %s." % ("Median" if q == 0.5 else "p" + _percent(q)[:-1], ", ".join(
        "%s %s" % (label, ps.format_value("latency_mean", qr.histogram_quantile(h, q))) for label, h in hists))
        for q in quantiles)


def _quantile_table(hists, metric):
    headers = ["design", "samples"] + ["p" + _percent(q)[:-1] for q in TABLE_QUANTILES] + ["max"]
    rows = []
    for label, h in hists:
        values = [qr.histogram_quantile(h, q) for q in TABLE_QUANTILES] + [h["max"] * 1e-9]
        rows.append([label, "%d" % h["count"]] + [ps.format_value("latency_mean", v) for v in values])
    return ps.Table(headers, rows, "%s quantiles from the merged histogram" % metric)


def cdf_figure(series, out_dir, name, context, metric="latency"):
    """The cumulative distribution of latency (or wait) per design; None without histograms."""
    hists = _series(series, metric)
    if not hists:
        return None
    fig, ax = ps.new_figure()
    lo = min(max(h["min"], 1) for _, h in hists) * 1e-9
    hi = max(h["max"] for _, h in hists) * 1e-9
    # A log axis only for heavy tails (p99 far above the median); a linear one reads better otherwise.
    log_x = any(qr.histogram_quantile(h, 0.99) > 20 * max(qr.histogram_quantile(h, 0.5), 1e-9) for _, h in hists)
    factor, unit = ps.time_scale([hi]) if not log_x else (1.0, "s")
    for i, (label, h) in enumerate(hists):
        points = qr.histogram_cdf(h)
        xs = [max(x, lo) * factor for x, _ in points]
        ys = [y for _, y in points]
        style = ps.design_style(label)
        ax.step(xs, ys, where="post", color=style["colour"], linestyle=style["linestyle"], label=label,
                linewidth=ps.line_width(i))
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _time_tick(v)))
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "%d%%" % round(v * 100)))
    ax.set_xlabel("%s (%s)" % (metric, "log scale" if log_x else unit))
    ax.set_ylabel("fraction of messages at or below")
    ax.set_title(ps.headline("%s CDF" % metric.capitalize(), context), fontsize=11)
    ps.style_axes(ax)
    ax.legend(loc="lower right", frameon=True, fontsize=9)
    ps.save(fig, out_dir, name)
    caption = ("Cumulative distribution of %s (publish to %s) per design, from the exact histograms "
               "merged over all repetitions. %s" % (metric, "first completed processing" if metric == "latency"
                                                    else "first delivery", _quantiles_said(hists, [0.5, 0.99])))
    return ps.Figure(name, "%s CDF" % metric.capitalize(), caption, [_quantile_table(hists, metric)])


def _time_tick(seconds):
    if seconds <= 0:
        return "0"
    factor, unit = ps.time_scale([seconds])
    return "%g %s" % (float("%.3g" % (seconds * factor)), unit)


def quantile_figure(series, out_dir, name, context, metric="latency"):
    """The quantile curve per design on the 'nines' axis; None without histograms."""
    hists = _series(series, metric)
    if not hists:
        return None
    curves = [(label, quantile_curve(h)) for label, h in hists]
    top_value = max(v for _, c in curves for _, v in c)
    factor, unit = ps.time_scale([top_value])
    fig, ax = ps.new_figure()
    for i, (label, curve) in enumerate(curves):
        style = ps.design_style(label)
        ax.plot([x for x, _ in curve], [v * factor for _, v in curve], color=style["colour"],
                linestyle=style["linestyle"], label=label, linewidth=ps.line_width(i))
    ax.set_xscale("log")
    top_x = max(c[-1][0] for _, c in curves)
    ticks = [1 / (1 - q) for q in NINES if 1 / (1 - q) <= top_x * 1.0001]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _percent(1 - 1 / v)))
    ax.set_xlim(1, top_x)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("percentile (log scale of 1 / (1 \u2212 q))")
    ax.set_ylabel("%s (%s)" % (metric, unit))
    ax.set_title(ps.headline("%s by percentile" % metric.capitalize(), context), fontsize=11)
    ps.style_axes(ax)
    ax.legend(loc="upper left", frameon=True, fontsize=9)
    ps.save(fig, out_dir, name)
    caption = ("%s at each percentile, on a log axis of 1/(1\u2212q) so the tail (99%%, 99.9%%, ...) gets as "
               "much room as the median; each curve stops where the sample size runs out. %s" % (
                   metric.capitalize(), _quantiles_said(hists, [0.999])))
    return ps.Figure(name, "%s by percentile" % metric.capitalize(), caption, [_quantile_table(hists, metric)])


def latency_figures(series, out_dir, prefix, context):
    """CDF and quantile curve of latency, and the quantile curve of wait."""
    figures = [
        cdf_figure(series, out_dir, prefix + "latency-cdf", context, "latency"),
        quantile_figure(series, out_dir, prefix + "latency-percentiles", context, "latency"),
        quantile_figure(series, out_dir, prefix + "wait-percentiles", context, "wait"),
    ]
    return [f for f in figures if f]


if __name__ == "__main__":
    ps.standalone_main(lambda series, out, context: latency_figures(series, out, "", context), sys.argv[1:])
