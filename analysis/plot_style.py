"""What every figure shares: the Agg backend, one colour per design across all figures, metric names and
units, and writing PNG + SVG. Each figure family returns Figure records that report.py turns into HTML."""

import math
import os
import re
import sys
import zlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

DPI = 110

# One colour per design, fixed so a design looks the same in every figure of every report.
DESIGN_COLOURS = {
    "pull": "#1f77b4",
    "preassigned": "#d62728",
    "preassigned/round_robin": "#d62728",
    "preassigned/random": "#ff7f0e",
    "preassigned/hash": "#8c564b",
    "visibility_timeout": "#2ca02c",
    "replicated": "#9467bd",
    "push": "#17becf",
    "power_of_d": "#bcbd22",
    "jsq": "#7f7f7f",
    "work_stealing": "#e377c2",
    "fifo_groups": "#393b79",
    "partitioned": "#843c39",
    "share_group": "#7b4173",
}
_SPARE_COLOURS = ["#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#843c39", "#7b4173"]
THEORY_STYLES = {"mmc": ("#222222", (0, (5, 3))), "per_consumer_mm1": ("#777777", (0, (1, 2))),
                 "supermarket_d2": ("#444444", (0, (3, 1, 1, 1)))}
FAULT_COLOURS = {"crash": "#d62728", "stall": "#ff7f0e"}


def design_base(label):
    """The colour-map name of a design label: 'pull (run-a)' -> 'pull', 'visibility_timeout/5s' ->
    'visibility_timeout', 'preassigned/random' stays (it has a colour of its own)."""
    base = label.split(" (")[0]
    if base in DESIGN_COLOURS:
        return base
    return base.split("/")[0]


def design_colour(label):
    """The design's colour; unknown designs get a spare colour chosen by a stable hash of the name.
    Variants of one design ('replicated/3/leader', 'replicated/3/all') are shades of the design's colour,
    darker or lighter by a stable hash of the variant, so they stay apart yet recognisably one design."""
    base = design_base(label)
    colour = DESIGN_COLOURS.get(base) or _SPARE_COLOURS[zlib.crc32(base.encode()) % len(_SPARE_COLOURS)]
    variant = label.split(" (")[0]
    if variant == base or variant in DESIGN_COLOURS:
        return colour
    shade = _variant_shades.get(variant)
    if shade is None:
        shade = _VARIANT_SHADES[zlib.crc32(variant.encode()) % len(_VARIANT_SHADES)]
    return _shade(colour, shade)


_VARIANT_SHADES = [-0.45, 0.4, -0.2, 0.6, 0.15, -0.65]
_variant_shades = {}


def register_designs(labels):
    """Gives the variants of each design among `labels` distinct shades, in order of appearance, for
    every figure drawn afterwards (a report calls this once with all its labels)."""
    per_design = {}
    for label in labels:
        variant = label.split(" (")[0]
        base = design_base(variant)
        if variant != base and variant not in DESIGN_COLOURS:
            per_design.setdefault(base, [])
            if variant not in per_design[base]:
                per_design[base].append(variant)
    for variants in per_design.values():
        for i, variant in enumerate(variants):
            _variant_shades[variant] = _VARIANT_SHADES[i % len(_VARIANT_SHADES)]


def _shade(colour, amount):
    """`colour` ('#rrggbb') mixed towards white (amount > 0) or black (amount < 0)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#%02x%02x%02x" % tuple(mixed)


def design_rank(label):
    """Sort key putting designs in one fixed order (the colour map's), unknown ones after, by name."""
    base = design_base(label)
    names = list(DESIGN_COLOURS)
    return (names.index(base) if base in names else len(names), label)


# Metric key -> (readable name, kind). Kinds: 'time' (seconds, shown in s/ms/us), 'count', 'rate'
# (per second), 'fraction' (shown in %).
METRICS = {
    "published": ("messages published", "count"),
    "deliveries": ("deliveries", "count"),
    "redeliveries": ("redeliveries", "count"),
    "processed": ("messages processed", "count"),
    "unique_processed": ("unique messages processed", "count"),
    "duplicates": ("duplicate processings", "count"),
    "dead_lettered": ("dead-lettered messages", "count"),
    "lost": ("lost messages", "count"),
    "lost_consumer_crash": ("messages lost in consumer crashes", "count"),
    "lost_broker_crash": ("messages lost in broker crashes", "count"),
    "lost_network": ("messages lost on the network", "count"),
    "lost_confirmed": ("confirmed messages lost", "count"),
    "refused_publishes": ("publishes refused", "count"),
    "lost_unconfirmed_publish": ("unconfirmed publishes lost", "count"),
    "lost_network_publish": ("publishes dropped", "count"),
    "publish_latency_mean": ("mean publish latency", "time"),
    "publish_latency_p99": ("p99 publish latency", "time"),
    "unavailable_seconds": ("time unavailable", "time"),
    "recovery_time": ("recovery time", "time"),
    "warmup": ("warm-up", "time"),
    "faults": ("fault occurrences", "count"),
    "stale_acks": ("stale acks", "count"),
    "remaining": ("messages remaining", "count"),
    "latency_mean": ("mean latency", "time"),
    "latency_p50": ("median latency", "time"),
    "latency_p90": ("p90 latency", "time"),
    "latency_p99": ("p99 latency", "time"),
    "latency_p999": ("p99.9 latency", "time"),
    "latency_max": ("max latency", "time"),
    "wait_mean": ("mean wait", "time"),
    "wait_p99": ("p99 wait", "time"),
    "throughput": ("throughput", "rate"),
    "makespan": ("makespan", "time"),
    "duration_simulated": ("simulated duration", "time"),
    "utilization_mean": ("consumer utilization", "fraction"),
    "idle_with_backlog": ("idle with backlog", "fraction"),
    "events": ("simulator events", "count"),
    "wall_seconds": ("wall time", "time"),
    "events_per_second": ("simulator speed", "events"),
}


def metric_name(key):
    return METRICS.get(key, (key.replace("_", " "), "number"))[0]


def metric_kind(key):
    return METRICS.get(key, (key, "number"))[1]


def time_scale(values):
    """(factor, unit) to show seconds readably: the largest finite value picks s, ms or us."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite) if finite else 1.0
    if top >= 1.0 or top == 0:
        return 1.0, "s"
    if top >= 1e-3:
        return 1e3, "ms"
    return 1e6, "\u00b5s"


def metric_scale(key, values):
    """(factor, axis label with unit) for plotting a metric's values."""
    kind = metric_kind(key)
    name = metric_name(key)
    if kind == "time":
        factor, unit = time_scale(values)
        return factor, "%s (%s)" % (name, unit)
    if kind == "fraction":
        return 100.0, "%s (%% of alive time)" % name if key == "idle_with_backlog" else "%s (%%)" % name
    if kind == "rate":
        return 1.0, "%s (messages/s)" % name
    if kind == "count":
        return 1.0, "%s (messages)" % name if key not in ("events", "stale_acks") else name
    if kind == "events":
        return 1.0, "%s (events/s)" % name
    return 1.0, name


def format_value(key, value, ci=None):
    """A metric value for tables, with its unit and the CI half-width when given."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2013"
    if isinstance(value, float) and math.isinf(value):
        return "\u221e"
    kind = metric_kind(key)
    if kind == "time":
        factor, unit = time_scale([value])
        text = "%.4g %s" % (value * factor, unit)
        return text if not ci else "%s \u00b1 %.2g" % (text, ci * factor)
    if kind == "fraction":
        return "%.2f%%" % (value * 100) if not ci else "%.2f \u00b1 %.2g%%" % (value * 100, ci * 100)
    if kind == "rate":
        return "%.4g/s" % value if not ci else "%.4g \u00b1 %.2g /s" % (value, ci)
    text = "%.6g" % value
    return text if not ci else "%s \u00b1 %.3g" % (text, ci)


def slug(text):
    """A file-name-safe form of a run or figure name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "x"


class Table:
    """The numbers behind a figure: column headers and rows of already formatted strings."""

    def __init__(self, headers, rows, title=None, collapsed=False):
        self.headers = headers
        self.rows = rows
        self.title = title
        self.collapsed = collapsed  # long tables start folded in the report


class Figure:
    """A written figure: its files (relative to the plots folder), a caption, and its tables."""

    def __init__(self, name, title, caption, tables=(), section=None):
        self.name = name
        self.title = title
        self.caption = caption
        self.tables = list(tables)
        self.section = section
        self.png = name + ".png"
        self.svg = name + ".svg"


def standalone_main(draw, argv):
    """Runs one figure family on run folders given on the command line, writing into the first one's
    plots/: draw(series, out_dir, context) returns a Figure, a list of them, or None."""
    import qlab_results as qr
    if not argv:
        raise SystemExit("usage: %s RUN_DIR [RUN_DIR...]" % os.path.basename(sys.argv[0]))
    runs = [qr.Run(p) for p in argv]
    out = os.path.join(argv[0], "plots")
    figures = draw(list(zip(qr.label_runs(runs), runs)), out, runs[0].scenario)
    for f in figures if isinstance(figures, list) else [figures]:
        if f:
            print(os.path.join(out, f.png))


def save(fig, out_dir, name):
    """Writes name.png and name.svg into out_dir and closes the figure."""
    os.makedirs(out_dir, exist_ok=True)
    fig.savefig(os.path.join(out_dir, name + ".png"), dpi=DPI, bbox_inches="tight")
    fig.savefig(os.path.join(out_dir, name + ".svg"), bbox_inches="tight")
    plt.close(fig)


def line_width(index):
    """Line width of the index-th design: earlier ones wider, so a design whose line coincides with a later
    one still shows as a border around it."""
    return max(1.1, 2.6 - 0.6 * index)


def headline(head, context):
    """A figure title: what is drawn, then on its own line the scenario and sweep it is drawn for."""
    return "%s\n%s" % (head, context) if context else head


def new_figure(width=7.5, height=4.2, **kwargs):
    return plt.subplots(figsize=(width, height), **kwargs)


def style_axes(ax):
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
