"""Backlog, in-flight messages and throughput over time (repetition 0), one line per design, with the fault
windows of faults.csv shaded and the view zoomed on them and the recovery after them.

    python3 analysis/plot_timeseries.py RUN_DIR [RUN_DIR...]   # writes into the first RUN_DIR/plots/
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.patches import Patch  # noqa: E402

import plot_style as ps  # noqa: E402
import qlab_results as qr  # noqa: E402

MAX_TABLE_ROWS = 120
RATE_BINS = 100  # throughput is drawn over about this many windows, so short sampling intervals do not
                 # turn it into noise


def binned_rate(t, counts, width):
    """(edges, rates): the counts of consecutive sampling intervals (each ending at its t) summed over
    windows of about the given width, each window a whole number of intervals so that none holds more
    samples than its neighbours, divided by the window's length."""
    if len(t) < 2:
        return [], []
    step = (t[-1] - t[0]) / (len(t) - 1)
    k = max(1, int(round(width / step))) if step > 0 else 1
    edges, rates = [t[0]], []
    for i in range(1, len(t), k):
        j = min(i + k, len(t))
        length = t[j - 1] - edges[-1]
        rates.append(sum(counts[i:j]) / length if length > 0 else 0.0)
        edges.append(t[j - 1])
    return edges, rates


def _time_axis(series):
    """(factor, unit) for the time axis: minutes or hours for long runs."""
    top = max((s["t"][-1] for _, s in series if s.get("t")), default=0)
    if top >= 3 * 3600:
        return 1 / 3600, "h"
    if top >= 600:
        return 1 / 60, "min"
    if top >= 1 or top == 0:
        return 1.0, "s"
    return 1e3, "ms"


def merged_windows(windows, min_width):
    """{action: [(start, end)]}: the union of each action's windows (faults of several consumers at once
    shade one band, not a darker one), each at least min_width wide so instant faults stay visible."""
    out = {}
    for action, _target, start, end in sorted(windows, key=lambda w: (w[0], w[2])):
        end = max(end, start + min_width)
        spans = out.setdefault(action, [])
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return out


def _shade_faults(axes, windows, factor, span):
    """Shades the fault windows on every axis, one colour per action."""
    kinds = []
    for action, spans in merged_windows(windows, span * 0.002).items():
        colour = ps.FAULT_COLOURS.get(action, "#9467bd")
        for start, end in spans:
            for ax in axes:
                ax.axvspan(start * factor, end * factor, color=colour, alpha=0.15, linewidth=0)
        kinds.append(action)
    return [Patch(color=ps.FAULT_COLOURS.get(k, "#9467bd"), alpha=0.25, label="%s window" % k) for k in kinds]


PANELS = {  # column: (source column, axis label)
    "backlog": ("backlog", "backlog (messages waiting)"),
    "in_flight": ("in_flight", "in flight (messages)"),
    "processed": ("processed_rate", "throughput (processed/s)"),
    "published": ("published_rate", "published (messages/s)"),
    "busy_consumers": ("busy_consumers", "busy consumers"),
    "alive_consumers": ("alive_consumers", "alive consumers"),
}
DEFAULT_COLUMNS = ["backlog", "in_flight", "processed"]


def zoom_window(series, windows):
    """(lo, hi) in seconds around the fault windows and the recovery after them (until every design's backlog
    is back to its level before), with a margin; None when there are no faults or they span most of the run."""
    if not windows:
        return None
    start = min(w[2] for w in windows)
    end = max(w[3] for w in windows)
    recovered = end
    for _label, _s, run in series:
        drained = qr.drain_time(run, 0)
        if drained:
            recovered = max(recovered, drained[2] if math.isfinite(drained[2]) else run.series(0)["t"][-1])
    first = min(s["t"][0] for _, s, _ in series)
    last = max(s["t"][-1] for _, s, _ in series)
    margin = max(0.25 * (recovered - start), 0.02 * (last - first))
    lo, hi = max(first, start - margin), min(last, recovered + margin)
    return (lo, hi) if hi - lo < 0.8 * (last - first) else None


def timeseries_figure(series_runs, out_dir, name, context, columns=None):
    """Stacked panels sharing the time axis (backlog, in flight and throughput unless `columns` names others),
    zoomed on the fault windows and the recovery when there are any; None when no run has a time series."""
    series = [(label, run.series(0), run) for label, run in series_runs]
    series = [(label, s, run) for label, s, run in series if s.get("t")]
    if not series:
        return None
    factor, unit = _time_axis([(l, s) for l, s, _ in series])
    windows = series[0][2].fault_windows(0)
    zoom = zoom_window(series, windows)
    span = max(s["t"][-1] for _, s, _ in series)
    width = (zoom[1] - zoom[0] if zoom else span) / RATE_BINS
    for _, s, _ in series:
        edges, rates = binned_rate(s["t"], s["processed"], width)
        s["processed_binned"] = (edges, rates)
    wanted = [c for c in (columns or DEFAULT_COLUMNS) if c in PANELS]
    # A panel that is zero throughout for every design shows nothing: it is left out and the caption says so.
    zero = [c for c in wanted if c != "processed" and all(
        not any(v for v in s.get(PANELS[c][0], []) if isinstance(v, float) and not math.isnan(v)) for _, s, _ in series)]
    shown = [c for c in wanted if c not in zero] or ["backlog"]
    fig, axes = ps.new_figure(8.0, 1.2 + 2.0 * len(shown), nrows=len(shown), sharex=True, squeeze=False)
    axes = [row[0] for row in axes]
    for ax, column in zip(axes, shown):
        source, ylabel = PANELS[column]
        for i, (label, s, _run) in enumerate(series):
            style = ps.design_style(label)
            if column == "processed":
                edges, rates = s["processed_binned"]
                ax.stairs(rates, [e * factor for e in edges], color=style["colour"], linestyle=style["linestyle"],
                          label=label, linewidth=ps.line_width(i), baseline=None)
            else:
                ax.plot([t * factor for t in s["t"]], s[source], color=style["colour"], linestyle=style["linestyle"],
                        label=label, linewidth=ps.line_width(i))
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_ylim(bottom=0)
        ps.style_axes(ax)
    if "processed" in shown:
        _published_line(axes[shown.index("processed")], series, width, factor, unit)
    axes[-1].set_xlabel("simulated time (%s)" % unit)
    if zoom:
        axes[-1].set_xlim(zoom[0] * factor, zoom[1] * factor)
    fault_handles = _shade_faults(axes, windows, factor, span) if windows else []
    handles, labels = [], []
    for ax in axes:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    fig.legend(handles + fault_handles, labels + [h.get_label() for h in fault_handles], loc="lower center",
               ncol=min(5, len(handles) + len(fault_handles)), frameon=False, fontsize=9,
               bbox_to_anchor=(0.5, -0.01))
    what = ", ".join(PANELS[c][1].split(" (")[0] for c in shown)
    fig.suptitle(ps.headline("%s over time, repetition 0" % what.capitalize(), context), fontsize=11)
    fig.tight_layout(rect=(0, 0.3 / (1.2 + 2.0 * len(shown)), 1, 1))
    ps.save(fig, out_dir, name)

    caption = "%s over time in repetition 0%s" % (what.capitalize(), " of each design (the same seed for every "
                                                                   "design)" if len(series) > 1 else "")
    if "processed" in shown:
        caption += "; throughput is messages processed per second over windows of about %.3g s (dashed grey: " \
                   "published per second)" % width
    caption += "."
    if windows:
        caption += " Shaded: fault windows of %s (%d fault%s)." % (
            series[0][0], len(windows), "" if len(windows) == 1 else "s")
    if "backlog" in shown:
        caption += " Peak backlog: %s." % ", ".join("%s %d at %.4g s" % (label, max(s["backlog"]), s["t"][max(
            range(len(s["t"])), key=lambda i: s["backlog"][i])]) for label, s, _ in series)
    if zoom:
        caption += (" Zoomed on the faults and the recovery after them: %.4g\u2013%.4g s of a %.4g s run."
                    % (zoom[0], zoom[1], span))
    if zero:
        caption += " Left out, zero throughout: %s." % ", ".join(PANELS[c][1].split(" (")[0] for c in zero)
    return ps.Figure(name, "%s over time" % what.capitalize(), caption, _tables(series, windows))


def _published_line(ax, series, width, factor, unit):
    """The published rate, the same for every design under common random numbers: one dashed grey line. A batch
    publish is one huge spike in it: the processed rate is kept readable instead, and the spike labelled."""
    s0 = series[0][1]
    edges, published = binned_rate(s0["t"], s0["published"], width)
    ax.stairs(published, [e * factor for e in edges], color="#999999", linewidth=1.0, linestyle=(0, (3, 2)),
              baseline=None, label="published (%s)" % series[0][0] if len(series) > 1 else "published")
    processed_top = max((r for _, s, _ in series for r in s["processed_binned"][1]), default=0)
    published_top = max(published, default=0)
    if published_top > 3 * processed_top > 0:
        ax.set_ylim(0, processed_top * 1.2)
        peak = max(range(len(published)), key=lambda i: published[i])
        ax.annotate("published off scale: %d messages in %.3g\u2013%.3g %s" % (
            round(published[peak] * (edges[peak + 1] - edges[peak])), edges[peak] * factor,
            edges[peak + 1] * factor, unit), xy=(edges[peak + 1] * factor, processed_top * 1.15),
            xytext=(6, 0), textcoords="offset points", fontsize=8, color="#666666", va="top")
    else:
        ax.set_ylim(0, max(processed_top, published_top) * 1.1 or 1)


def _tables(series, windows):
    tables = []
    headers = ["design", "peak backlog", "at (s)", "peak in flight", "mean throughput (msg/s)", "last sample (s)"]
    rows = []
    for label, s, _run in series:
        backlog = s["backlog"]
        peak = max(range(len(backlog)), key=lambda i: backlog[i])
        rates = [r for r in s["processed_rate"] if not math.isnan(r)]
        total = sum(s["processed"])
        rows.append([label, "%d" % backlog[peak], "%.4g" % s["t"][peak], "%d" % max(s["in_flight"]),
                     "%.4g" % (total / s["t"][-1] if s["t"][-1] > 0 else (rates[0] if rates else 0)),
                     "%.4g" % s["t"][-1]])
    tables.append(ps.Table(headers, rows, "per design (repetition 0)"))
    if windows:
        tables.append(ps.Table(["action", "target", "start (s)", "end (s)"],
                               [[a, t, "%.4g" % s, "%.4g" % e] for a, t, s, e in windows],
                               "fault windows (repetition 0 of %s)" % series[0][0]))
    label, s, _run = series[0]
    step = max(1, len(s["t"]) // MAX_TABLE_ROWS)
    rows = []
    for i in range(0, len(s["t"]), step):
        rows.append(["%.4g" % s["t"][i], "%d" % s["backlog"][i], "%d" % s["in_flight"][i],
                     "%d" % s["processed"][i], "%.4g" % s["processed_rate"][i]
                     if not math.isnan(s["processed_rate"][i]) else "\u2013"])
    tables.append(ps.Table(["t (s)", "backlog", "in flight", "processed in interval", "processed/s"], rows,
                           "time series of %s%s" % (label, ", every %d-th sample" % step if step > 1 else "")))
    return tables


if __name__ == "__main__":
    ps.standalone_main(lambda series, out, context: timeseries_figure(series, out, "timeseries", context),
                       sys.argv[1:])
