"""Per-consumer utilization and idle-with-backlog from consumers.csv: a bar per consumer (mean over
repetitions, 95% CI whiskers), consumers laid out by group on shaded bands, one colour per design.

    python3 analysis/plot_consumers.py RUN_DIR [RUN_DIR...]   # writes into the first RUN_DIR/plots/
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from matplotlib.ticker import FuncFormatter  # noqa: E402

import plot_style as ps  # noqa: E402
import qlab_results as qr  # noqa: E402

MAX_CONSUMERS = 40  # beyond this, bars are drawn per group instead of per consumer


def consumer_stats(run, by_group=False):
    """[(name, group, {column: (mean, ci95, n)})] in file order, over repetitions."""
    order, groups, values = [], {}, {}
    for row in run.consumers:
        key = row["group"] if by_group else row["consumer"]
        if key not in values:
            order.append(key)
            groups[key] = row["group"]
            values[key] = {}
        for column in ("utilization", "idle_with_backlog", "processed"):
            per_rep = values[key].setdefault(column, {})
            per_rep.setdefault(row["repetition"], []).append(row[column])
    out = []
    for key in order:
        stats = {}
        for column, per_rep in values[key].items():
            # Per repetition, a group's value is the mean of its members; then mean and CI over repetitions.
            stats[column] = qr.mean_ci95([sum(v) / len(v) for v in per_rep.values()])
        out.append((key, groups[key], stats))
    return out


def consumers_figure(series, out_dir, name, context):
    """None when no run has consumers.csv."""
    series = [(label, run) for label, run in series if run.consumers]
    if not series:
        return None
    count = len({r["consumer"] for _, run in series for r in run.consumers})
    by_group = count > MAX_CONSUMERS
    stats = [(label, consumer_stats(run, by_group)) for label, run in series]
    names = []
    group_of = {}
    for _, rows in stats:
        for key, group, _ in rows:
            if key not in group_of:
                names.append(key)
                group_of[key] = group
    group_order = list(dict.fromkeys(group_of[n] for n in names))
    names.sort(key=lambda k: group_order.index(group_of[k]))  # stable: file order within a group

    # Idle time with backlog is zero everywhere for designs that never hold a message from a free consumer:
    # then its panel shows nothing and is left out.
    idle_zero = all(s["idle_with_backlog"][0] == 0 for _, rows in stats for _, _, s in rows)
    panels = [("utilization", "utilization (% of alive time busy)")]
    if not idle_zero:
        panels.append(("idle_with_backlog", "idle with backlog (% of alive time)"))
    width = min(12.0, max(7.0, 0.35 * len(names) * max(1, len(series)) + 2))
    fig, axes = ps.new_figure(width, 3.3 * len(panels) - 0.4 * (len(panels) - 1), nrows=len(panels), sharex=True,
                              squeeze=False)
    axes = [row[0] for row in axes]
    bar_width = 0.8 / len(series)
    for ax, (column, ylabel) in zip(axes, panels):
        _group_bands(ax, names, group_of, labelled=ax is axes[0])
        for i, (label, rows) in enumerate(stats):
            by_key = {key: s for key, _, s in rows}
            xs, ys, errs = [], [], []
            for j, key in enumerate(names):
                if key in by_key:
                    mean, ci, _ = by_key[key][column]
                    xs.append(j - 0.4 + bar_width * (i + 0.5))
                    ys.append(mean * 100)
                    errs.append(ci * 100)
            style = ps.design_style(label)
            ax.bar(xs, ys, width=bar_width * 0.92, color=style["colour"], hatch=style["hatch"], label=label,
                   yerr=errs if any(errs) else None, error_kw={"elinewidth": 0.8, "capsize": 1.5,
                                                               "ecolor": "#333333"})
        ax.set_ylabel(ylabel, fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g%%" % v))
        ps.style_axes(ax)
        ax.grid(False, axis="x")
    axes[0].set_ylim(0, 105)
    top = max(((s["idle_with_backlog"][0] + s["idle_with_backlog"][1]) * 100 for _, rows in stats
               for _, _, s in rows), default=0)
    axes[-1].set_ylim(0, 105) if idle_zero else axes[-1].set_ylim(0, min(105.0, max(1.0, top * 1.1)))
    axes[-1].set_xticks(range(len(names)))
    axes[-1].set_xticklabels(names, rotation=60 if len(names) > 8 else 0, ha="right" if len(names) > 8 else "center",
                             fontsize=8)
    axes[-1].set_xlim(-0.6, len(names) - 0.4)
    axes[-1].set_xlabel("consumer group" if by_group else "consumer")
    if len(series) > 1:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=min(5, len(series)),
                   frameon=False, fontsize=9, bbox_to_anchor=(0.5, -0.01))
    fig.suptitle(ps.headline("Per-consumer utilization and idle time with backlog", context), fontsize=11)
    fig.tight_layout(rect=(0, 0.04 if len(series) > 1 else 0, 1, 1))
    ps.save(fig, out_dir, name)

    caption = ("For each %s, the fraction of its alive time spent processing%s; mean over repetitions with 95%% "
               "CI whiskers. Shaded bands group consumers by consumer group." % (
                   "consumer group" if by_group else "consumer",
                   " (no consumer of any design was ever idle while a message waited: that panel is left out)"
                   if idle_zero else " (top) and spent idle while some message was waiting anywhere in the system "
                   "(bottom, the cost of pre-assignment)"))
    caption += " " + " ".join("%s: utilization from %.1f%% (%s) to %.1f%% (%s)." % (
        (label,) + _range_of(rows, "utilization")) for label, rows in stats if rows)
    headers = ["design", "group" if by_group else "consumer", "group", "processed (mean)", "utilization",
               "idle with backlog"]
    rows = []
    for label, entries in stats:
        for key, group, s in entries:
            rows.append([label, key, group, "%.6g" % s["processed"][0],
                         ps.format_value("utilization_mean", s["utilization"][0], s["utilization"][1]),
                         ps.format_value("idle_with_backlog", s["idle_with_backlog"][0], s["idle_with_backlog"][1])])
    return ps.Figure(name, "Per-consumer utilization", caption, [ps.Table(headers, rows, "per consumer")])


def _range_of(rows, column):
    """(lowest %, its consumer, highest %, its consumer) of a column's means."""
    low = min(rows, key=lambda r: r[2][column][0])
    high = max(rows, key=lambda r: r[2][column][0])
    return low[2][column][0] * 100, low[0], high[2][column][0] * 100, high[0]


def _group_bands(ax, names, group_of, labelled):
    """Alternating background bands, one per consumer group, labelled at the top of the axes."""
    start = 0
    shade = False
    for j in range(1, len(names) + 1):
        if j == len(names) or group_of[names[j]] != group_of[names[start]]:
            if shade:
                ax.axvspan(start - 0.5, j - 0.5, color="#f0f0f0", zorder=0, linewidth=0)
            if labelled:
                ax.text((start + j - 1) / 2, 1.0, group_of[names[start]], transform=ax.get_xaxis_transform(),
                        ha="center", va="bottom", fontsize=8, color="#555555")
            shade = not shade
            start = j


if __name__ == "__main__":
    ps.standalone_main(lambda series, out, context: consumers_figure(series, out, "consumers", context),
                       sys.argv[1:])
