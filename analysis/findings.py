"""The first lines of each report section: what the data shows, in one or two sentences computed from it
(the best design against the reference design on the run's main metric, and how that changes along the
sweep), e.g. "At slow/fast speed ratio 8, pull's makespan is 45.6 s, 4.6x shorter than
preassigned/round_robin's (212 s)."
"""

import math

import plot_style as ps

HIGHER_IS_BETTER = {"throughput", "utilization_mean", "unique_processed", "processed", "events_per_second"}


def _better(key, a, b):
    return a > b if key in HIGHER_IS_BETTER else a < b


def _ratio_words(key):
    if key in HIGHER_IS_BETTER:
        return "higher"
    return {"time": "shorter"}.get(ps.metric_kind(key), "lower")


def significant(a, b):
    """Whether two (mean, ci95, n) differ beyond their combined 95% confidence half-widths; with one repetition
    (no interval) any difference counts."""
    (ma, ca, _), (mb, cb, _) = a, b
    return abs(ma - mb) > math.sqrt((ca or 0) ** 2 + (cb or 0) ** 2)


def compare(key, entries, where="", paired=None):
    """One sentence comparing designs on a metric. entries: [(design label, (mean, ci95, n))] with the
    reference (baseline) design first. paired: {design label: (mean difference to the first design, ci95)}
    from comparisons.csv; when it covers the two designs compared, significance is judged on the paired
    difference (common random numbers make it far tighter). '' when fewer than two designs have a value."""
    entries = [(label, m) for label, m in entries if m and not math.isnan(m[0])]
    if len(entries) < 2:
        return ""
    best = entries[0]
    for entry in entries[1:]:
        if _better(key, entry[1][0], best[1][0]):
            best = entry
    reference = next(e for e in entries if e[0] != best[0])
    name = ps.metric_name(key)
    prefix = ("%s, " % where) if where else ""
    prefix = prefix[0].upper() + prefix[1:] if prefix else ""
    baseline = entries[0][0]
    pair = None
    if paired and baseline in (best[0], reference[0]):
        pair = paired.get(reference[0] if best[0] == baseline else best[0])
    if not (abs(pair[0]) > pair[1] if pair else significant(best[1], reference[1])):
        text = "%s%s does not differ significantly between %s (%s) and %s (%s)%s." % (
            prefix, name, best[0], ps.format_value(key, *best[1][:2]), reference[0],
            ps.format_value(key, *reference[1][:2]),
            "; paired difference %s" % ps.format_value(key, abs(pair[0]), pair[1]) if pair else "")
        return text[0].upper() + text[1:]
    b, r = best[1][0], reference[1][0]
    # Counts read as "pull has 0 lost messages", other metrics as "pull's makespan is 45.8 s".
    counted = ps.metric_kind(key) == "count"
    subject = ("%s%s has %s %s" % (prefix, best[0], ps.format_value(key, b), name) if counted else
               "%s%s's %s is %s" % (prefix, best[0], name, ps.format_value(key, b)))
    if b == 0 or r == 0:
        text = "%s, against %s for %s" % (subject, ps.format_value(key, r), reference[0])
    else:
        ratio = r / b if key not in HIGHER_IS_BETTER else b / r
        words = "fewer" if counted and key not in HIGHER_IS_BETTER else _ratio_words(key)
        text = "%s, %.2gx %s than %s's (%s)" % (subject, ratio, words, reference[0], ps.format_value(key, r))
    if pair:
        text += " (paired difference %s)" % ps.format_value(key, abs(pair[0]), pair[1])
    others = [e for e in entries if e[0] not in (best[0], reference[0])]
    if others:
        text += "; %s" % ", ".join("%s %s" % (label, ps.format_value(key, m[0])) for label, m in others)
    return text[0].upper() + text[1:] + "."


def trend(key, lines, x_text):
    """How a metric moves along the sweep: lines = [(design label, [(x, (mean, ci, n))] sorted by x)];
    x_text(x) formats an x value with its name. '' without a line of at least two values."""
    parts, ends = [], None
    for label, values in lines:
        values = [(x, m) for x, m in values if not math.isnan(m[0])]
        if len(values) < 2 or all(m[0] == 0 for _, m in values):
            continue
        ends = ends or (values[0][0], values[-1][0])
        owner = label + "'s " if len(lines) > 1 else ""
        plural = ps.metric_kind(key) == "count" and ps.metric_name(key).endswith("s")
        what = (owner + ps.metric_name(key) + (" go" if plural else " goes")) if not parts \
            else owner.rstrip()
        parts.append("%s from %s to %s" % (what, ps.format_value(key, values[0][1][0]),
                                           ps.format_value(key, values[-1][1][0])))
    if not parts:
        return ""
    lo, hi = x_text(ends[0]).split(" "), x_text(ends[1]).split(" ")
    common = 0
    while common < min(len(lo), len(hi)) - 1 and lo[common] == hi[common]:
        common += 1
    return "From %s to %s, %s." % (" ".join(lo), " ".join(hi[common:]), "; ".join(parts[:3]))


def summary_of_run(run):
    """One sentence for a single run folder: what was processed, in how long, and with what latency."""
    m = run.metrics

    def value(key):
        return ps.format_value(key, m[key].get("mean"), m[key].get("ci95")) if key in m and m[key].get(
            "mean") is not None else None
    reps = run.summary.get("repetitions", 1)
    parts = []
    if value("unique_processed"):
        parts.append("%s messages processed" % ps.format_value("unique_processed", m["unique_processed"]["mean"]))
    if value("makespan"):
        parts.append("makespan %s" % value("makespan"))
    if value("latency_mean"):
        parts.append("mean latency %s" % value("latency_mean"))
    if value("latency_p99"):
        parts.append("p99 latency %s" % value("latency_p99"))
    for key in ("lost", "redeliveries", "duplicates"):
        if key in m and m[key].get("mean"):
            parts.append("%s %s" % (ps.metric_name(key), value(key)))
    return "%s on %s: %s (mean \u00b1 95%% CI over %d repetition%s)." % (
        run.design, run.scenario, ", ".join(parts) or "no messages processed", reps, "" if reps == 1 else "s")
