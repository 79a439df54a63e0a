#!/usr/bin/env bash
# The simulator's speed and scale, as bench/README.md reports them, in one command:
#   1. qlab_sim_bench's side-by-side ratio of the full simulator to a minimal M/M/c loop (pull and
#      visibility_timeout, median of alternating rounds), and the design floor's (that loop with the real
#      design in it);
#   2. a scaling table: visibility_timeout at rho = 0.9 (exponential service of mean 1s, Poisson arrivals
#      at 0.9 x consumers per second) for each number of consumers and messages, with events per CPU
#      second and peak memory (max RSS) of the whole `qlab run` process, then for each number of messages
#      the events per CPU second of the most consumers against the fewest. Each cell runs REPEATS times
#      (default 3) and shows the median: with many consumers the rate depends on the memory system, which
#      the machine shares, and moves between runs by 10-20%. The runs go in rounds (each cell of a number
#      of messages once, then again), and the most-against-fewest ratio is the median of the rounds' ratios.
# Usage: scripts/sim_scaling.sh            (needs a Release build in ./build, e.g. scripts/build.sh)
#   CONSUMERS="8 1000" MESSAGES="1000000" scripts/sim_scaling.sh     to choose the cells
#   LARGE_MESSAGES=100000000 LARGE_CONSUMERS="8 1000 10000 100000"   the extra long runs (default as shown)
#   REPEATS=1                                                        one run per cell
# CPU time rather than wall time: the figures hold on a machine shared with other work.
set -euo pipefail
cd "$(dirname "$0")/.."
qlab=${QLAB:-./build/cli/qlab}  # QLAB=/path/to/another/qlab measures another build's scaling
bench=./build/bench/qlab_sim_bench
consumers=${CONSUMERS-"8 1000 10000 100000"}
messages=${MESSAGES-"1000000 10000000"}
large_messages=${LARGE_MESSAGES-"100000000"}
large_consumers=${LARGE_CONSUMERS-"8 1000 10000 100000"}
repeats=${REPEATS:-3}
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "sim_scaling.sh: REPEATS must be a positive whole number, not '$repeats'" >&2; exit 2; }
for tool in "$qlab" "$bench" /usr/bin/python3; do
  [[ -x $tool ]] || { echo "sim_scaling.sh: $tool is missing (build first: scripts/build.sh)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## Ratio to the minimal M/M/c loop ($bench --benchmark_filter=FullVsMinimal)"
echo
"$bench" --benchmark_filter=FullVsMinimal --benchmark_format=json > "$work/ratio.json" 2> /dev/null
/usr/bin/python3 - "$work/ratio.json" <<'PY'
import json, sys
print("| design | full simulator (messages/CPU s) | minimal loop (messages/CPU s) | ratio (median of 7 rounds) "
      "| design floor's ratio |")
print("|---|---|---|---|---|")
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    print(f"| `{b['label']}` | {b['full_msgs_per_s'] / 1e6:.2f} M | {b['minimal_msgs_per_s'] / 1e6:.2f} M | {b['ratio']:.2f} "
          f"| {b['design_floor_ratio']:.2f} |")
PY
echo "(the goal: a ratio of at least 0.8; the design floor, the minimal loop with the real design deciding who"
echo " takes what and nothing else, is about the most a simulator hosting that design could reach)"
echo

cat > "$work/scale.yaml" <<'EOF'
name: scale
queue: {design: visibility_timeout}
producers: [{rate: 7.2/s, messages: 1000000}]
consumers: [{count: 8, service: {dist: exponential, mean: 1s}}]
EOF
run_once() {  # consumers messages round: one run, appended to $work/runs as "consumers messages round events cpu rss"
  local c=$1 m=$2 round=$3
  /usr/bin/python3 - "$qlab" "$work" "$c" "$m" "$round" >> "$work/runs" <<'PY'
import json, os, shutil, subprocess, sys
qlab, work = sys.argv[1:3]
consumers, messages, round_ = map(int, sys.argv[3:6])
out = os.path.join(work, "run")
shutil.rmtree(out, ignore_errors=True)
process = subprocess.Popen([qlab, "run", os.path.join(work, "scale.yaml"), "-j", "1", "--out", out,
                            "--set", f"consumers[0].count={consumers}", "--set", f"producers[0].rate={consumers * 0.9}/s",
                            "--set", f"producers[0].messages={messages}"], stdout=subprocess.DEVNULL)
# The child's own CPU time and peak memory, to the microsecond (/usr/bin/time rounds to 10 ms: 7% of a short run).
_, status, usage = os.wait4(process.pid, 0)
if status != 0:
    sys.exit(f"sim_scaling.sh: qlab run failed for {consumers:,} consumers and {messages:,} messages")
events = json.load(open(os.path.join(out, "summary.json")))["metrics"]["events"]["mean"]
cpu = usage.ru_utime + usage.ru_stime
print(consumers, messages, round_, events, cpu, usage.ru_maxrss)
print(f"sim_scaling.sh: {consumers:,} consumers, {messages:,} messages, round {round_}: "
      f"{events / cpu / 1e6:.2f} M events per CPU second", file=sys.stderr)
PY
}
# "messages" "consumers": each round runs every cell of a number of messages once, in turn, so that the cells
# compared share the machine's state: the ratio of the most consumers to the fewest is taken within each
# round, then the median.
run_rounds() {
  local m c round
  for m in $1; do
    for round in $(seq "$repeats"); do
      for c in $2; do run_once "$c" "$m" "$round"; done
    done
  done
}
: > "$work/runs"
run_rounds "$messages" "$consumers"
run_rounds "$large_messages" "$large_consumers"
/usr/bin/python3 - "$work/runs" "$repeats" <<'PY'
import collections, statistics, sys
cells = collections.defaultdict(list)  # (messages, consumers) -> [(round, events, cpu, rss_kb)]
for line in open(sys.argv[1]):
    consumers, messages, round_, events, cpu, rss = line.split()
    cells[(int(messages), int(consumers))].append((int(round_), float(events), float(cpu), int(rss)))
print(f"## Scaling (visibility_timeout, rho = 0.9, one repetition, one thread; median of {sys.argv[2]} runs a cell)")
print()
print("| consumers | messages | events | events per CPU second (lowest-highest) | CPU time | peak memory |")
print("|---|---|---|---|---|---|")
for (messages, consumers), runs in cells.items():  # in the order run
    events = runs[0][1]
    rates = sorted(e / cpu for _, e, cpu, _ in runs)
    spread = f" ({rates[0] / 1e6:.2f}-{rates[-1] / 1e6:.2f})" if len(rates) > 1 else ""
    cpu = statistics.median(cpu for _, _, cpu, _ in runs)
    rss_mb = max(rss for _, _, _, rss in runs) / 1024
    print(f"| {consumers:,} | {messages:,} | {events:.3g} | {statistics.median(rates) / 1e6:.2f} M{spread} | "
          f"{cpu:.2f} s | {rss_mb:.0f} MB |")
print()
# The largest number of consumers against the smallest, at each number of messages measured with both.
for messages in sorted({m for m, _ in cells}):
    counts = sorted(c for m, c in cells if m == messages)
    if len(counts) < 2:
        continue
    low, high = counts[0], counts[-1]
    by_round = lambda c: {r: e / cpu for r, e, cpu, _ in cells[(messages, c)]}
    low_rates, high_rates = by_round(low), by_round(high)
    ratios = sorted(high_rates[r] / low_rates[r] for r in low_rates)
    spread = f" (rounds: {', '.join(f'{x:.2f}' for x in ratios)})" if len(ratios) > 1 else ""
    goal = " (the goal: at least 0.5x)" if (low, high) == (8, 100000) else ""
    print(f"{messages:,} messages: {high:,} consumers run at {statistics.median(ratios):.2f}x the events per CPU "
          f"second of {low:,}{spread}{goal}")
PY
