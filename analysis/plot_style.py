"""What every figure shares: the Agg backend, one colour per design across all figures, metric names and
units, and writing PNG + SVG. Each figure family returns Figure records that report.py turns into HTML."""

import math
import os
import re
import sys
import zlib

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVGs: smaller, searchable, selectable
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

DPI = 110

# One hue per design from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies),
# fixed so a design looks the same in every figure of every report. The palette has eight hues and grey; the
# designs beyond them reuse a hue with a hatch (bars) and a dashed line (lines) of their own.
OKABE_ITO = {"blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "purple": "#CC79A7",
             "sky": "#56B4E9", "orange": "#E69F00", "black": "#000000", "yellow": "#F0E442", "grey": "#999999"}
DESIGN_STYLES = {  # design: (colour, hatch of its bars, line style)
    "pull": (OKABE_ITO["blue"], None, "-"),
    "preassigned": (OKABE_ITO["vermillion"], None, "-"),
    "visibility_timeout": (OKABE_ITO["green"], None, "-"),
    "replicated": (OKABE_ITO["purple"], None, "-"),
    "push": (OKABE_ITO["sky"], None, "-"),
    "power_of_d": (OKABE_ITO["orange"], None, "-"),
    "jsq": (OKABE_ITO["black"], None, "-"),
    "work_stealing": (OKABE_ITO["grey"], None, "-"),
    "fifo_groups": (OKABE_ITO["yellow"], None, "-"),
    "partitioned": (OKABE_ITO["vermillion"], "xx", (0, (5, 2))),
    "share_group": (OKABE_ITO["blue"], "xx", (0, (5, 2))),
}
DESIGN_COLOURS = {design: style[0] for design, style in DESIGN_STYLES.items()}
_SPARE_STYLES = [(OKABE_ITO[c], "..", (0, (1, 1))) for c in ("green", "purple", "sky", "orange", "black", "grey")]
# Variants of one design ('preassigned/round_robin', 'preassigned/random') share its hue and differ by marker,
# hatch and line style, in order of registration.
VARIANT_MARKERS = ["o", "s", "^", "D", "v", "P"]
VARIANT_HATCHES = [None, "//", "..", "\\\\", "--", "++"]
VARIANT_LINES = ["-", (0, (6, 2)), (0, (2, 1.5)), (0, (6, 2, 1, 2)), "-", (0, (6, 2))]
THEORY_STYLES = {"mmc": ("#222222", (0, (5, 3))), "per_consumer_mm1": ("#777777", (0, (1, 2))),
                 "supermarket_d2": ("#444444", (0, (3, 1, 1, 1)))}
FAULT_COLOURS = {"crash": "#D55E00", "stall": "#E69F00", "partition": "#CC79A7"}


def design_base(label):
    """The design of a label: 'pull (run-a)' -> 'pull', 'preassigned/random' -> 'preassigned'."""
    return label.split(" (")[0].split("/")[0]


def _base_style(base):
    return DESIGN_STYLES.get(base) or _SPARE_STYLES[zlib.crc32(base.encode()) % len(_SPARE_STYLES)]


def _variant_index(label):
    """0 for a design's first (or only) variant, then 1, 2, ... in order of registration."""
    variant = label.split(" (")[0]
    if variant == design_base(label):
        return 0
    if variant not in _variant_order:
        _variant_order[variant] = zlib.crc32(variant.encode()) % len(VARIANT_MARKERS)
    return _variant_order[variant]


_variant_order = {}


def register_designs(labels):
    """Numbers the variants of each design among `labels` in order of appearance, for every figure drawn
    afterwards (a report calls this once with all its labels)."""
    per_design = {}
    for label in labels:
        variant = label.split(" (")[0]
        if variant != design_base(variant):
            per_design.setdefault(design_base(variant), [])
            if variant not in per_design[design_base(variant)]:
                per_design[design_base(variant)].append(variant)
    for variants in per_design.values():
        for i, variant in enumerate(variants):
            _variant_order[variant] = i % len(VARIANT_MARKERS)


def design_colour(label):
    """The design's hue; every variant of a design shares it."""
    return _base_style(design_base(label))[0]


def design_style(label):
    """{colour, marker, hatch, linestyle} of a design label: the design's hue, the variant's marker, hatch
    and line style (a design beyond the palette's hues brings its own hatch and dashes)."""
    colour, hatch, line = _base_style(design_base(label))
    i = _variant_index(label)
    return {"colour": colour, "marker": VARIANT_MARKERS[i], "hatch": VARIANT_HATCHES[i] or hatch,
            "linestyle": VARIANT_LINES[i] if i else line}


def shade(colour, amount):
    """`colour` ('#rrggbb') mixed towards white (amount > 0) or black (amount < 0)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#%02x%02x%02x" % tuple(mixed)


def design_rank(label):
    """Sort key putting designs in one fixed order (the style map's), unknown ones after, by name."""
    base = design_base(label)
    names = list(DESIGN_STYLES)
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
    "drain_time": ("backlog drain time", "time"),
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


def log_label(label, scale):
    """An axis label that says when the axis is logarithmic."""
    return label + " (log scale)" if scale == "log" and "log scale" not in label else label


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

    def __init__(self, headers, rows, title=None):
        self.headers = headers
        self.rows = rows
        self.title = title


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
