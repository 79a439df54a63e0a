"""Latency per producer group from summary.json's `groups.producers`: for each group its median and p99
(mean over repetitions, 95% CI whiskers), one colour per design. Drawn only where a run has more than one
producer group: with one group it would repeat the run's own latency figure.

    python3 analysis/plot_groups.py RUN_DIR [RUN_DIR...]   # writes into the first RUN_DIR/plots/
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import plot_style as ps  # noqa: E402

QUANTILES = (("latency_p50", "median"), ("latency_p99", "p99"))


def producer_groups(run):
    """{group: {metric: {mean, ci95, ...}}} from summary.json, in file order; {} for an older summary."""
    return run.summary.get("groups", {}).get("producers", {})


def groups_figure(series, out_dir, name, context):
    """None unless some run has two or more producer groups."""
    series = [(label, run) for label, run in series if len(producer_groups(run)) > 1]
    if not series:
        return None
    groups = list(dict.fromkeys(g for _, run in series for g in producer_groups(run)))
    fig, axes = ps.new_figure(width=max(7.5, 1.6 * len(groups) * len(series)), height=4.2, ncols=len(QUANTILES))
    slots = len(series)
    width = 0.8 / slots
    rows = []
    said = []
    for ax, (key, quantile) in zip(axes, QUANTILES):
        for i, (label, run) in enumerate(series):
            per_group = producer_groups(run)
            xs, means, cis = [], [], []
            for x, group in enumerate(groups):
                m = per_group.get(group, {}).get(key, {})
                if m.get("mean") is None:
                    continue
                xs.append(x - 0.4 + width * (i + 0.5))
                means.append(m["mean"])
                cis.append(m.get("ci95") or 0)
            ax.bar(xs, means, width, yerr=cis, capsize=3, label=label, color=ps.design_colour(label),
                   hatch=ps.design_style(label).get("hatch"), edgecolor="white", linewidth=0.5)
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.set_xlabel("producer group")
        ax.set_ylabel("%s latency (s)" % quantile)
        ax.set_title("%s latency" % quantile)
        ps.style_axes(ax)
    for label, run in series:
        per_group = producer_groups(run)
        for group in groups:
            m = per_group.get(group, {})
            rows.append([label, group] + [ps.format_value(key, m.get(key, {}).get("mean"), m.get(key, {}).get("ci95"))
                                          for key, _ in QUANTILES])
        p99 = {g: per_group[g]["latency_p99"]["mean"] for g in groups
               if per_group.get(g, {}).get("latency_p99", {}).get("mean") is not None}
        if len(p99) > 1:
            worst = max(p99, key=p99.get)
            best = min(p99, key=p99.get)
            said.append("%s: group %s waits longest (p99 %s against %s for %s)" % (
                label, worst, ps.format_value("latency_p99", p99[worst]), ps.format_value("latency_p99", p99[best]),
                best))
    if len(series) > 1:
        axes[0].legend(fontsize=8)
    fig.suptitle(ps.headline("Latency per producer group", context))
    fig.subplots_adjust(top=0.78, wspace=0.3)
    ps.save(fig, out_dir, name)
    caption = ("Each producer group's median and p99 latency (publish to processed), mean over repetitions "
               "with 95% CI whiskers. " + ("; ".join(said) + "." if said else ""))
    table = ps.Table(["design", "producer group"] + [q for _, q in QUANTILES], rows, "latency per producer group")
    return ps.Figure(name, "Latency per producer group", caption, [table])


if __name__ == "__main__":
    ps.standalone_main(lambda series, out, context: groups_figure(series, out, "groups", context), sys.argv[1:])
