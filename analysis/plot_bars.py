"""Bar charts comparing designs: one panel per metric, a bar per design (clustered by sweep point when
there are several), mean over repetitions with Student-t 95% CI error bars.

    python3 analysis/plot_bars.py RUN_DIR RUN_DIR [...]   # compares the runs; writes into the first's plots/
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import plot_style as ps  # noqa: E402
import qlab_results as qr  # noqa: E402

DEFAULT_METRICS = ["latency_mean", "latency_p99", "latency_p999", "wait_mean", "throughput", "makespan",
                   "utilization_mean", "idle_with_backlog", "lost", "duplicates", "redeliveries", "dead_lettered"]
MAX_DEFAULT_PANELS = 6


def choose_metrics(entries, wanted=None):
    """The metrics to draw: those asked for, else the defaults that differ most between entries (by
    relative spread, at least 5%), in the default order; mean latency and throughput when none does."""
    if wanted:
        return [m for m in wanted if any(m in e[2] for e in entries)]
    spread = {}
    for key in DEFAULT_METRICS:
        values = [e[2][key][0] for e in entries if key in e[2] and not math.isnan(e[2][key][0])]
        if values and max(abs(v) for v in values) > 0:
            spread[key] = (max(values) - min(values)) / max(abs(v) for v in values)
    top = sorted((k for k in spread if spread[k] >= 0.05), key=lambda k: -spread[k])[:MAX_DEFAULT_PANELS]
    chosen = [k for k in DEFAULT_METRICS if k in top]
    return chosen or [k for k in ("latency_mean", "throughput") if k in spread]


def bars_figure(entries, out_dir, name, context, metrics=None, group_label=None):
    """entries: [(design label, group (a sweep point's label or ''), {metric: (mean, ci95, n)})].
    None when there is nothing to compare."""
    metrics = choose_metrics(entries, metrics)
    zero = [m for m in metrics if all(e[2][m][0] == 0 for e in entries if m in e[2] and not math.isnan(e[2][m][0]))]
    metrics = [m for m in metrics if m not in zero]
    if not entries or not metrics:
        return None
    labels = list(dict.fromkeys(e[0] for e in entries))
    groups = list(dict.fromkeys(e[1] for e in entries))
    ncols = 2 if len(metrics) in (2, 4) else min(3, len(metrics))
    nrows = int(math.ceil(len(metrics) / ncols))
    per_panel = max(3.0, 0.45 * len(labels) * len(groups) + 1.2)
    fig, axes = ps.new_figure(min(14.0, per_panel * ncols + 0.5), 3.3 * nrows + 0.6, nrows=nrows, ncols=ncols,
                              squeeze=False)
    width = 0.8 / len(labels)
    for k, key in enumerate(metrics):
        ax = axes[k // ncols][k % ncols]
        values = [e[2][key][0] for e in entries if key in e[2]]
        factor, ylabel = ps.metric_scale(key, values)
        for i, label in enumerate(labels):
            xs, ys, errs = [], [], []
            for g, group in enumerate(groups):
                for e in entries:
                    if e[0] == label and e[1] == group and key in e[2]:
                        mean, ci, _ = e[2][key]
                        xs.append(g - 0.4 + width * (i + 0.5))
                        ys.append(mean * factor)
                        errs.append((ci or 0) * factor)
            style = ps.design_style(label)
            ax.bar(xs, ys, width=width * 0.9, color=style["colour"], hatch=style["hatch"], edgecolor="#ffffff"
                   if not style["hatch"] else "#333333", linewidth=0.5, label=label,
                   yerr=errs if any(errs) else None, capsize=3, error_kw={"elinewidth": 1, "ecolor": "#333333"})
            for x, y in zip(xs, ys):
                if y == 0:  # say "zero" rather than leave a gap that reads as missing data
                    ax.annotate("0", (x, 0), xytext=(0, 2), textcoords="offset points", ha="center",
                                va="bottom", fontsize=8, color="#333333")
        ax.set_title(ps.metric_name(key), fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_ylim(0, 1) if not any(v * factor > 0 for v in values) else ax.set_ylim(bottom=0)
        if len(groups) > 1:
            ax.set_xticks(range(len(groups)))
            ax.set_xticklabels(groups, fontsize=8, rotation=30 if len(groups) > 4 else 0,
                               ha="right" if len(groups) > 4 else "center")
            if group_label:
                ax.set_xlabel(group_label, fontsize=9)
        else:  # one bar per design: the design names are the tick labels
            ax.set_xticks([-0.4 + width * (i + 0.5) for i in range(len(labels))])
            rotate = len(labels) > 3 or max(len(l) for l in labels) > 14
            ax.set_xticklabels(labels, fontsize=8, rotation=35 if rotate else 0, ha="right" if rotate else "center")
        ps.style_axes(ax)
        ax.grid(False, axis="x")
    for k in range(len(metrics), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    if len(groups) > 1:  # with one group the tick labels name the designs
        handles, names = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, names, loc="lower center", ncol=min(6, len(labels)), frameon=False, fontsize=9,
                   bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(ps.headline("Designs compared", context), fontsize=11)
    fig.tight_layout(rect=(0, (0.06 if nrows == 1 else 0.035) if len(groups) > 1 else 0, 1, 1))
    ps.save(fig, out_dir, name)

    caption = ("%s of each design%s: the mean over repetitions; error bars are Student-t 95%% confidence "
               "intervals (none when there is a single repetition)." % (
                   ", ".join(ps.metric_name(m) for m in metrics).capitalize(),
                   " at each point" if len(groups) > 1 else ""))
    if zero:
        caption += " Left out, zero for every design: %s." % ", ".join(ps.metric_name(m) for m in zero)
    headers = ["design"] + ([group_label or "point"] if len(groups) > 1 else []) + [ps.metric_name(m) for m in metrics]
    rows = []
    for label, group, values in entries:
        row = [label] + ([group] if len(groups) > 1 else [])
        for key in metrics:
            mean, ci, _ = values.get(key, (math.nan, math.nan, 0))
            row.append(ps.format_value(key, mean, ci))
        rows.append(row)
    return ps.Figure(name, "Designs compared", caption, [ps.Table(headers, rows, "mean \u00b1 95% CI")])


def run_entry(label, run, group=""):
    """An entry for bars_figure from a run folder's summary.json."""
    return (label, group, {k: qr.summary_stat(m, run) for k, m in run.metrics.items()})


if __name__ == "__main__":
    ps.standalone_main(lambda series, out, context: bars_figure([run_entry(l, r) for l, r in series], out,
                                                                "designs", context), sys.argv[1:])
