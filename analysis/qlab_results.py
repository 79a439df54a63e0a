"""Reads qlab results folders (docs/METRICS.md): run folders, suite folders, and folders
holding several run folders. Standard library only, so it can be tested without matplotlib.

A run folder holds summary.json, timeseries.csv, consumers.csv, faults.csv and histograms.json; a suite
folder holds suite.json, results.csv and runs/<run>/<point>/ run folders.
"""

import csv
import json
import math
import os
import re

# ---------------------------------------------------------------------------------------------------------
# Units: the scenario writer's strings ("1.5ms", "4e+01/s", "4KiB") as SI numbers (seconds, per second, bytes).

DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
SIZE_UNITS = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3}
_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)"
_DURATION_RE = re.compile(r"^\s*" + _NUMBER + r"\s*(ns|us|ms|s|m|h)\s*$")
_RATE_RE = re.compile(r"^\s*" + _NUMBER + r"\s*/\s*(ns|us|ms|s|m|h)\s*$")
_SIZE_RE = re.compile(r"^\s*" + _NUMBER + r"\s*(B|KB|MB|GB|KiB|MiB|GiB)\s*$")


def _number_and_unit(pattern, text, what):
    m = pattern.match(str(text))
    if not m:
        raise ValueError("not a %s: %r" % (what, text))
    return float(m.group(1)), m.group(2)


def parse_duration(text):
    """'1.5ms' -> 0.0015 (seconds). Raises ValueError on anything else."""
    number, unit = _number_and_unit(_DURATION_RE, text, "duration")
    return number * DURATION_UNITS[unit]


def parse_rate(text):
    """'7.2/s' or '4e+01/s' or '300/m' -> messages per second."""
    number, unit = _number_and_unit(_RATE_RE, text, "rate")
    return number / DURATION_UNITS[unit]


def parse_size(text):
    """'4KiB' -> 4096 (bytes)."""
    number, unit = _number_and_unit(_SIZE_RE, text, "size")
    return number * SIZE_UNITS[unit]


def parse_quantity(value):
    """A sweep value as (number, kind): kind is 'duration', 'rate', 'size', 'number', or (value, 'text')
    when it is none of these (a design name, a boolean)."""
    if isinstance(value, bool):
        return str(value).lower(), "text"
    if isinstance(value, (int, float)):
        return float(value), "number"
    text = str(value)
    for kind, parse in (("duration", parse_duration), ("rate", parse_rate), ("size", parse_size)):
        try:
            return parse(text), kind
        except ValueError:
            pass
    try:
        return float(text), "number"
    except ValueError:
        return text, "text"


def format_quantity(number, kind):
    """The inverse of parse_quantity, in the scenario's own syntax (used to evaluate theory on a grid)."""
    if kind == "duration":
        return "%.9gs" % number
    if kind == "rate":
        return "%.9g/s" % number
    if kind == "size":
        return "%.9gB" % number
    return number


# ---------------------------------------------------------------------------------------------------------
# Distributions in scenario_resolved: a bare duration string (constant) or {dist: ..., mean: ...}.

def distribution_moments(spec):
    """(mean, scv) of a resolved distribution, in seconds; scv is the squared coefficient of variation
    (variance / mean^2), math.inf when the variance is infinite."""
    if isinstance(spec, str):
        return parse_duration(spec), 0.0
    dist = spec.get("dist", "constant")
    if dist == "constant":
        return parse_duration(spec["value"]), 0.0
    if dist == "exponential":
        return parse_duration(spec["mean"]), 1.0
    if dist == "uniform":
        lo, hi = parse_duration(spec["min"]), parse_duration(spec["max"])
        mean = (lo + hi) / 2
        return mean, ((hi - lo) ** 2 / 12) / mean ** 2 if mean > 0 else 0.0
    if dist == "lognormal":
        return parse_duration(spec["mean"]), float(spec["cv"]) ** 2
    if dist == "erlang":
        return parse_duration(spec["mean"]), 1.0 / float(spec["k"])
    if dist == "pareto":
        shape = float(spec["shape"])
        return parse_duration(spec["mean"]), (1.0 / (shape * (shape - 2)) if shape > 2 else math.inf)
    raise ValueError("unknown distribution %r" % (dist,))


def get_path(tree, path):
    """Looks up an override path ('consumers[0].service.mean') in a resolved scenario; None if absent."""
    node = tree
    for name, index in _path_parts(path):
        if not isinstance(node, dict) or name not in node:
            return None
        node = node[name]
        if index is not None:
            if not isinstance(node, list) or index >= len(node):
                return None
            node = node[index]
    return node


def set_path(tree, path, value):
    """Returns a deep copy of tree with the override path set to value (creating dict keys as needed)."""
    tree = json.loads(json.dumps(tree))
    parts = list(_path_parts(path))
    node = tree
    for i, (name, index) in enumerate(parts):
        last = i == len(parts) - 1
        if index is None:
            if last:
                node[name] = value
            else:
                node = node.setdefault(name, {})
        else:
            items = node[name]
            if last:
                items[index] = value
            else:
                node = items[index]
    return tree


# Words for the last steps of override paths, so figures never show a raw `--set` path.
_FIELD_WORDS = {"service.mean": "mean service time", "service": "service time", "every.mean": "mean time between",
                "every": "time between", "rate": "rate", "count": "count", "messages": "messages",
                "duration": "duration", "start": "start", "prefetch": "prefetch"}


def describe_path(path, resolved=None):
    """A readable name for an override path, from the resolved scenario where it names things:
    'consumers[1].service.mean' -> "slow consumers' mean service time", 'faults[0].duration' -> 'stall
    duration', 'producers[0].rate' -> 'arrival rate', 'queue.visibility_timeout' -> 'visibility timeout'."""
    resolved = resolved or {}
    parts = list(_path_parts(path)) if re.match(r"^[^\s]+$", path or "") else []
    if not parts:
        return str(path)
    (head, index), rest = parts[0], ".".join(name + ("[%d]" % i if i is not None else "") for name, i in parts[1:])
    words = _FIELD_WORDS.get(rest, rest.replace(".", " ").replace("_", " "))
    item = get_path(resolved, "%s[%d]" % (head, index)) if index is not None else None
    item = item if isinstance(item, dict) else {}
    if head == "consumers" and index is not None:
        name = item.get("name") or "group %d" % index
        return "%s consumers' %s" % (name, words)
    if head == "producers" and index is not None:
        several = len(resolved.get("producers", [])) > 1
        owner = "producer %s " % (item.get("name") or index) if several else ""
        return owner + ("arrival rate" if rest == "rate" else words)
    if head == "faults" and index is not None:
        action = item.get("action") or "fault"
        if rest.startswith("every"):
            return "%s %ses" % (words, action) if action.endswith("sh") else "%s %ss" % (words, action)
        return "%s %s" % (action, "window" if rest == "duration" else words)
    if head == "queue":
        return words if rest else "design"
    return (head.replace("_", " ") + (" " + words if rest else "")).strip()


def _path_parts(path):
    for part in path.split("."):
        m = re.match(r"^([^\[\]]+)(?:\[(\d+)\])?$", part)
        if not m:
            raise ValueError("bad override path %r" % (path,))
        yield m.group(1), (int(m.group(2)) if m.group(2) is not None else None)


# ---------------------------------------------------------------------------------------------------------
# Statistics.

# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30.
_T975 = [12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252,
         2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688,
         2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845,
         2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142,
         2.045229642, 2.042272456]


def t_quantile_975(df):
    """t(0.975, df): exact table to df 30, then the Cornish-Fisher expansion (error below 1e-4)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= 30:
        return _T975[int(df) - 1]
    z = 1.959963985
    return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)


def mean_ci95(values):
    """(mean, half-width of the Student-t 95% interval, n) of the finite values; half-width 0 for n < 2."""
    xs = [v for v in values if v is not None and math.isfinite(v)]
    n = len(xs)
    if n == 0:
        return math.nan, math.nan, 0
    mean = sum(xs) / n
    if n < 2:
        return mean, 0.0, n
    var = sum((x - mean) ** 2 for x in xs) / (n - 1)
    return mean, t_quantile_975(n - 1) * math.sqrt(var / n), n


# ---------------------------------------------------------------------------------------------------------
# Histograms: {"unit": "ns", "count", "min", "max", "buckets": [[lower_ns, upper_ns, count], ...]}.

def merge_histograms(histograms):
    """Adds bucket counts of histograms that share bucket boundaries (qlab's are fixed log-linear)."""
    counts = {}
    total, lo, hi = 0, None, None
    for h in histograms:
        if not h or not h.get("count"):
            continue
        for lower, upper, count in h["buckets"]:
            counts[(lower, upper)] = counts.get((lower, upper), 0) + count
        total += h["count"]
        lo = h["min"] if lo is None else min(lo, h["min"])
        hi = h["max"] if hi is None else max(hi, h["max"])
    buckets = [[lower, upper, c] for (lower, upper), c in sorted(counts.items())]
    return {"unit": "ns", "count": total, "min": lo or 0, "max": hi or 0, "buckets": buckets}


def histogram_quantile(h, q):
    """The q-quantile in seconds, interpolating linearly inside the bucket and clamped to [min, max]."""
    if not h or not h.get("count"):
        return math.nan
    total = sum(b[2] for b in h["buckets"])
    rank = q * total
    seen = 0
    for lower, upper, count in h["buckets"]:
        if count and seen + count >= rank:
            frac = (rank - seen) / count
            value = lower + frac * (upper - lower)
            return min(max(value, h["min"]), h["max"]) * 1e-9
        seen += count
    return h["max"] * 1e-9


def histogram_cdf(h):
    """[(value_seconds, cumulative_fraction)] at each bucket's upper bound, starting at (min, 0)."""
    if not h or not h.get("count"):
        return []
    total = sum(b[2] for b in h["buckets"])
    points = [(h["min"] * 1e-9, 0.0)]
    seen = 0
    for lower, upper, count in h["buckets"]:
        if not count:
            continue
        seen += count
        points.append((min(upper, h["max"]) * 1e-9, seen / total))
    return points


def histogram_mean(h):
    """Mean in seconds from bucket midpoints (for tables; summary.json has the exact mean)."""
    if not h or not h.get("count"):
        return math.nan
    total = sum(b[2] for b in h["buckets"])
    return sum((lo + hi) / 2 * c for lo, hi, c in h["buckets"]) / total * 1e-9


# ---------------------------------------------------------------------------------------------------------
# Run folders.

def read_csv(path):
    """Rows of a CSV file as dicts with numbers converted to float where they parse; [] if absent."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            rows.append({k: _number(v) for k, v in row.items()})
        return rows


def _number(text):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def is_run_folder(path):
    return os.path.isfile(os.path.join(path, "summary.json"))


def is_suite_folder(path):
    return os.path.isfile(os.path.join(path, "suite.json")) or (
        os.path.isfile(os.path.join(path, "results.csv")) and os.path.isdir(os.path.join(path, "runs")))


def find_run_folders(path, depth=2):
    """Run folders below path (not path itself), sorted, looking at most depth levels down."""
    found = []
    if depth <= 0 or not os.path.isdir(path):
        return found
    for name in sorted(os.listdir(path)):
        sub = os.path.join(path, name)
        if not os.path.isdir(sub) or name == "plots":
            continue
        if is_run_folder(sub):
            found.append(sub)
        else:
            found.extend(find_run_folders(sub, depth - 1))
    return found


class Run:
    """One run folder. Files other than summary.json are read when first asked for."""

    def __init__(self, path):
        self.path = path
        with open(os.path.join(path, "summary.json")) as f:
            self.summary = json.load(f)
        self._cache = {}

    @property
    def scenario(self):
        return self.summary.get("scenario", os.path.basename(self.path))

    @property
    def design(self):
        return self.summary.get("design", "?")

    @property
    def resolved(self):
        return self.summary.get("scenario_resolved", {})

    @property
    def assignment(self):
        queue = self.resolved.get("queue", {})
        return queue.get("assignment", "round_robin") if self.design == "preassigned" else None

    @property
    def metrics(self):
        """{key: {mean, ci95, min, max}}"""
        return self.summary.get("metrics", {})

    def metric_values(self, key):
        """Per-repetition values of one metric."""
        return [r["metrics"][key] for r in self.summary.get("runs", []) if key in r.get("metrics", {})]

    def _csv(self, name):
        if name not in self._cache:
            self._cache[name] = read_csv(os.path.join(self.path, name))
        return self._cache[name]

    @property
    def timeseries(self):
        return self._csv("timeseries.csv")

    @property
    def consumers(self):
        return self._csv("consumers.csv")

    @property
    def faults(self):
        return self._csv("faults.csv")

    @property
    def histograms(self):
        if "histograms" not in self._cache:
            path = os.path.join(self.path, "histograms.json")
            data = None
            if os.path.exists(path):
                with open(path) as f:
                    data = json.load(f)
            self._cache["histograms"] = data
        return self._cache["histograms"]

    def histogram(self, name="latency"):
        """The histogram merged over repetitions (the file's 'merged', or the per-run ones added up)."""
        data = self.histograms
        if not data:
            return None
        merged = data.get("merged", {}).get(name)
        if merged:
            return merged
        return merge_histograms(r.get(name) for r in data.get("runs", []))

    def series(self, repetition=0):
        """The time series of one repetition as {column: [values]} plus the derived rates per second
        'published_rate' and 'processed_rate' (counts in the interval ending at t divided by its length)."""
        rows = [r for r in self.timeseries if r.get("repetition") == repetition]
        rows.sort(key=lambda r: r["t"])
        out = {k: [r[k] for r in rows] for k in (rows[0].keys() if rows else [])}
        for name in ("published", "processed"):
            rates = []
            prev_t = None
            for r in rows:
                dt = None if prev_t is None else r["t"] - prev_t
                rates.append(r[name] / dt if dt else math.nan)
                prev_t = r["t"]
            out[name + "_rate"] = rates
        return out

    def fault_windows(self, repetition=0):
        """[(action, target, start, end)] in seconds; end equals start for instantaneous faults."""
        out = []
        for r in self.faults:
            if r.get("repetition") != repetition:
                continue
            start = r.get("start")
            end = r.get("end")
            if not isinstance(end, float):
                end = start
            out.append((r.get("action", ""), r.get("target", ""), start, end))
        return out


def drain_time(run, repetition=0, column="backlog"):
    """(fault_start, fault_end, drained_at) of one repetition: from the first fault window's start to the last
    one's end, and the first sample at or after that end where `column` is back to its mean level before the
    faults (math.inf when it never is within the run). None without fault windows or time series."""
    windows = run.fault_windows(repetition)
    s = run.series(repetition)
    if not windows or not s.get("t") or column not in s:
        return None
    start = min(w[2] for w in windows)
    end = max(w[3] for w in windows)
    before = [v for t, v in zip(s["t"], s[column]) if t <= start]
    level = sum(before) / len(before) if before else 0.0
    drained = next((t for t, v in zip(s["t"], s[column]) if t >= end and v <= level), math.inf)
    return start, end, drained


def repetitions(run):
    """The repetition numbers of a run folder, from its summary."""
    return [int(r.get("repetition", i)) for i, r in enumerate(run.summary.get("runs", []))] or [0]


def summary_stat(metric, run):
    """(mean, ci95, n) of one metric of summary.json; a metric without samples (null) is NaN."""
    mean, ci = metric.get("mean"), metric.get("ci95")
    return (math.nan if mean is None else mean), (0.0 if ci is None else ci), run.summary.get("repetitions", 1)


def design_label(design, assignment, show_assignment):
    """'preassigned/random' when assignments are being compared, else the bare design name."""
    if design == "preassigned" and assignment and show_assignment:
        return "preassigned/" + assignment
    return design


def label_runs(runs):
    """Design labels for runs compared side by side; the folder name is added when labels would collide."""
    assignments = {r.assignment for r in runs if r.design == "preassigned"}
    show = len(assignments) > 1 or any(a not in (None, "round_robin") for a in assignments)
    labels = [design_label(r.design, r.assignment, show) for r in runs]
    if len(set(labels)) < len(labels):
        labels = ["%s (%s)" % (l, os.path.basename(os.path.normpath(r.path))) for l, r in zip(labels, runs)]
    return labels


# ---------------------------------------------------------------------------------------------------------
# Suite folders.

class SuitePoint:
    """One (run x sweep point) of a suite: its parameters, its run folder, and its results.csv rows."""

    def __init__(self, suite, entry):
        self.suite = suite
        self.run_name = str(entry.get("run", ""))
        self.point = entry.get("point", 0)
        self.params = dict(entry.get("params", {}))
        folder = entry.get("folder") or entry.get("dir")  # qlab suite writes "folder"
        self.dir = os.path.join(suite.path, folder) if folder else None
        self._design = entry.get("design")
        self._run = None
        self.label = None  # design label, set by Suite

    @property
    def run(self):
        """The point's Run, or None when its folder is missing."""
        if self._run is None and self.dir and is_run_folder(self.dir):
            self._run = Run(self.dir)
        return self._run

    @property
    def design(self):
        if self._design:
            return self._design
        if "queue.design" in self.params:
            return str(self.params["queue.design"])
        return self.run.design if self.run else "?"

    @property
    def assignment(self):
        if self.design != "preassigned":
            return None
        if "queue.assignment" in self.params:
            return str(self.params["queue.assignment"])
        return self.run.assignment if self.run else "round_robin"

    def rows(self):
        return [r for r in self.suite.results if str(r.get("run")) == self.run_name
                and _same_point(r.get("point"), self.point)]

    def metric(self, key):
        """(mean, ci95, n) over repetitions: from results.csv when it has the metric, else summary.json;
        'drain_time' is derived from the time series and fault windows of every repetition (drain_time())."""
        if key == "drain_time":
            if not self.run:
                return math.nan, math.nan, 0
            if "drain_time" not in self.run._cache:  # derived from every repetition's time series: once
                times = [drain_time(self.run, r) for r in repetitions(self.run)]
                self.run._cache["drain_time"] = mean_ci95([d[2] - d[1] for d in times if d])
            return self.run._cache["drain_time"]
        values = [r[key] for r in self.rows() if isinstance(r.get(key), float)]
        if values:
            return mean_ci95(values)
        if self.run and key in self.run.metrics:
            m = self.run.metrics[key]
            return summary_stat(m, self.run)
        return math.nan, math.nan, 0


def _same_point(a, b):
    """Point ids compare as numbers when both are ('001' == 1.0), else as text."""
    try:
        return int(float(a)) == int(float(b))
    except (TypeError, ValueError):
        return str(a) == str(b)


class SuiteRun:
    """One run of a suite (a scenario and its sweep) with its points and its plot map."""

    def __init__(self, name, spec, points):
        self.name = name
        self.spec = spec
        self.points = points

    @property
    def plot(self):
        return self.spec.get("plot") or {}

    @property
    def swept(self):
        """Swept paths: the suite's list, else every parameter that takes more than one value."""
        if self.spec.get("swept"):
            return list(self.spec["swept"])
        paths = []
        for p in self.points:
            for k in p.params:
                if k not in paths and len({str(q.params.get(k)) for q in self.points}) > 1:
                    paths.append(k)
        return paths

    @property
    def scenario(self):
        for p in self.points:
            if p.run:
                return p.run.scenario
        return self.spec.get("scenario", self.name)

    @property
    def labels(self):
        """Design labels in a stable order (the order of first appearance)."""
        out = []
        for p in self.points:
            if p.label not in out:
                out.append(p.label)
        return out

    def x_path(self):
        """The x-axis path: the plot map's x, else the first swept path outside queue.*, else the first
        that is not the design or assignment."""
        x = self.plot.get("x")
        if x:
            return x
        for path in self.swept:
            if path != "queue" and not path.startswith("queue."):
                return path
        for path in self.swept:
            if path not in ("queue", "queue.design", "queue.assignment"):
                return path
        return None

    def is_design_path(self, path):
        """Whether a swept path belongs to the design variant (queue: {design: ...}, queue.design,
        queue.assignment, queue.visibility_timeout, ...) rather than being a parameter of its own; the x path never is."""
        return (path == "queue" or path.startswith("queue.")) and path != self.x_path()


class Suite:
    """A suite folder: suite.json, results.csv and the run folders of every point."""

    def __init__(self, path):
        self.path = path
        spec_path = os.path.join(path, "suite.json")
        self.spec = {}
        if os.path.exists(spec_path):
            with open(spec_path) as f:
                self.spec = json.load(f)
        self.results = read_csv(os.path.join(path, "results.csv"))
        self.comparisons = read_csv(os.path.join(path, "comparisons.csv"))
        entries = self.spec.get("points") or _points_from_results(self.results, path)
        self.points = [SuitePoint(self, e) for e in entries]
        run_specs = {str(r.get("name")): r for r in self.spec.get("runs", [])}
        names = [str(r.get("name")) for r in self.spec.get("runs", [])]
        for p in self.points:
            if p.run_name not in names:
                names.append(p.run_name)
        self.runs = []
        for name in names:
            points = [p for p in self.points if p.run_name == name]
            if points:
                self.runs.append(SuiteRun(name, run_specs.get(name, {"name": name}), points))
        for run in self.runs:
            assignments = {p.assignment for p in run.points if p.design == "preassigned"}
            show = len(assignments) > 1 or any(a not in (None, "round_robin") for a in assignments)
            for p in run.points:
                p.label = design_label(p.design, p.assignment, show)

    @property
    def name(self):
        return self.spec.get("name", os.path.basename(os.path.normpath(self.path)))

    @property
    def description(self):
        return self.spec.get("description", "")

    @property
    def swept_columns(self):
        """Columns of results.csv between 'design' and 'repetition' (the swept or set paths)."""
        if not self.results:
            return []
        keys = list(self.results[0].keys())
        try:
            return keys[keys.index("design") + 1:keys.index("repetition")]
        except ValueError:
            return []


def _points_from_results(results, path):
    """Point entries rebuilt from results.csv alone (a suite folder without suite.json)."""
    seen = {}
    for row in results:
        key = (str(row.get("run")), row.get("point"))
        if key in seen:
            continue
        keys = list(row.keys())
        try:
            params = {k: row[k] for k in keys[keys.index("design") + 1:keys.index("repetition")]}
        except ValueError:
            params = {}
        point = row.get("point")
        number = "%03d" % int(point) if isinstance(point, float) else str(point)
        seen[key] = {"run": key[0], "point": point, "dir": os.path.join("runs", key[0], number),
                     "params": params, "design": row.get("design")}
    return list(seen.values())


def load(path):
    """('suite', Suite) | ('run', Run) | ('runs', [Run]) for a results folder; raises ValueError when the
    folder holds no results."""
    if not os.path.isdir(path):
        raise ValueError("%s: no such folder" % path)
    if is_suite_folder(path):
        return "suite", Suite(path)
    if is_run_folder(path):
        return "run", Run(path)
    runs = find_run_folders(path)
    if runs:
        return "runs", [Run(p) for p in runs]
    raise ValueError("%s: no qlab results here (expected summary.json from `qlab run --out`, or suite.json "
                     "and results.csv from `qlab suite --out`)" % path)
