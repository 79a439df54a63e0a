"""The live benchmark's figure: latency (p50 dashed, p99 solid) against achieved throughput, one line per
back end setting (qlab; Redis Streams, beanstalkd and NATS JetStream, in memory and durable; RabbitMQ's
classic and quorum queues), from qlab_live_bench's JSON. The lines join the sustained steps (sweep and rate
search) in order of achieved throughput; a hollow marker is a step the system did not sustain (its p99 there
is a lower bound). A setting that failed (its "error") has only its legend entry.

    /usr/bin/python3 analysis/plot_live_bench.py live_bench.json [OUT_DIR]   # writes live_bench.png/.svg
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import plot_style as ps  # noqa: E402

# One colour per back end; its second setting (the durable one, or RabbitMQ's quorum queue) is drawn in a
# darker shade of it with square markers.
BACKEND_COLOURS = {"qlab": ps.OKABE_ITO["green"], "redis": ps.OKABE_ITO["vermillion"],
                   "beanstalkd": ps.OKABE_ITO["blue"], "nats": ps.OKABE_ITO["purple"], "rabbitmq": ps.OKABE_ITO["orange"]}


def colour(setting, second):
    base = BACKEND_COLOURS.get(setting["backend"], ps.OKABE_ITO["grey"])
    return ps.shade(base, -0.35) if second else base


def draw(report, out_dir):
    fig, ax = ps.new_figure(8.0, 4.8)
    seen = set()
    for setting in report["settings"]:
        # The line joins the sustained steps; an unsustained one is only a hollow marker (its latency is
        # a lower bound, and its achieved rate is below what was offered).
        steps = sorted(setting["steps"], key=lambda s: s["achieved"])
        kept = [s for s in steps if s["sustained"]]
        second = setting["backend"] in seen
        seen.add(setting["backend"])
        c = colour(setting, second)
        marker = "s" if second else "o"
        label = "%s (%s, %s)" % (setting["label"], setting["durability"], setting["version"])
        if "error" in setting:
            label += ": failed"
        xs = [s["achieved"] for s in kept]
        ax.plot(xs, [s["p99_us"] / 1e3 for s in kept], color=c, linewidth=1.8, marker=marker, markersize=4,
                label=label)
        ax.plot(xs, [s["p50_us"] / 1e3 for s in kept], color=c, linewidth=1.0, linestyle="--")
        lost = [s for s in steps if not s["sustained"]]
        ax.plot([s["achieved"] for s in lost], [s["p99_us"] / 1e3 for s in lost], linestyle="none", marker=marker,
                markersize=4, color=c, markerfacecolor="white")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("achieved throughput (acked messages/s, log scale)")
    ax.set_ylabel("latency from intended send (ms, log scale)\np99 solid, p50 dashed")
    ax.set_title(ps.headline("Live back ends, open loop: latency against throughput", report["setup"][:110] + "..."),
                 fontsize=9)
    ps.style_axes(ax)
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ps.save(fig, out_dir, "live_bench")
    return os.path.join(out_dir, "live_bench.png")


def main(argv):
    if not argv:
        raise SystemExit("usage: plot_live_bench.py LIVE_BENCH.json [OUT_DIR]")
    with open(argv[0]) as f:
        report = json.load(f)
    out_dir = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(argv[0]))
    print(draw(report, out_dir))


if __name__ == "__main__":
    main(sys.argv[1:])
