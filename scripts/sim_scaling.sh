#!/usr/bin/env bash
# The simulator's speed and scale, as bench/README.md reports them, in one command:
#   1. qlab_sim_bench's side-by-side ratio of the full simulator to a minimal M/M/c loop (pull and
#      visibility_timeout, median of alternating pairs);
#   2. a scaling table: visibility_timeout at rho = 0.9 (exponential service of mean 1s, Poisson arrivals
#      at 0.9 x consumers per second) for each number of consumers and messages, with events per CPU
#      second and peak memory (max RSS) of the whole `qlab run` process, then for each number of messages
#      the events per CPU second of the most consumers against the fewest.
# Usage: scripts/sim_scaling.sh            (needs a Release build in ./build, e.g. scripts/build.sh)
#   CONSUMERS="8 1000" MESSAGES="1000000" scripts/sim_scaling.sh     to choose the cells
#   LARGE_MESSAGES=100000000 LARGE_CONSUMERS="8 100000"              the extra long runs (default as shown)
# CPU time rather than wall time: the figures hold on a machine shared with other work.
set -euo pipefail
cd "$(dirname "$0")/.."
qlab=${QLAB:-./build/cli/qlab}  # QLAB=/path/to/another/qlab measures another build's scaling
bench=./build/bench/qlab_sim_bench
consumers=${CONSUMERS-"8 1000 10000 100000"}
messages=${MESSAGES-"1000000 10000000"}
large_messages=${LARGE_MESSAGES-"100000000"}
large_consumers=${LARGE_CONSUMERS-"8 100000"}
for tool in "$qlab" "$bench" /usr/bin/time /usr/bin/python3; do
  [[ -x $tool ]] || { echo "sim_scaling.sh: $tool is missing (build first: scripts/build.sh)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "## Ratio to the minimal M/M/c loop ($bench --benchmark_filter=FullVsMinimal)"
echo
"$bench" --benchmark_filter=FullVsMinimal --benchmark_format=json > "$work/ratio.json" 2> /dev/null
/usr/bin/python3 - "$work/ratio.json" <<'PY'
import json, sys
print("| design | full simulator (messages/CPU s) | minimal loop (messages/CPU s) | ratio (median of 7 pairs) |")
print("|---|---|---|---|")
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    print(f"| `{b['label']}` | {b['full_msgs_per_s'] / 1e6:.2f} M | {b['minimal_msgs_per_s'] / 1e6:.2f} M | {b['ratio']:.2f} |")
PY
echo "(the goal: a ratio of at least 0.8)"
echo

cat > "$work/scale.yaml" <<'EOF'
name: scale
queue: {design: visibility_timeout}
producers: [{rate: 7.2/s, messages: 1000000}]
consumers: [{count: 8, service: {dist: exponential, mean: 1s}}]
EOF
run_cell() {  # consumers messages
  local c=$1 m=$2 out="$work/run-$1-$2"
  local rate
  rate=$(/usr/bin/python3 -c "print($c * 0.9)")
  /usr/bin/time -f "%M %U %S" -o "$work/time" "$qlab" run "$work/scale.yaml" -j 1 --out "$out" \
    --set "consumers[0].count=$c" --set "producers[0].rate=$rate/s" --set "producers[0].messages=$m" > /dev/null
  /usr/bin/python3 - "$out/summary.json" "$work/time" "$c" "$m" "$work/rates" <<'PY'
import json, sys
metrics = json.load(open(sys.argv[1]))["metrics"]
rss_kb, user, system = open(sys.argv[2]).read().split()[-3:]
cpu = float(user) + float(system)
events = metrics["events"]["mean"]
print(f"| {int(sys.argv[3]):,} | {int(sys.argv[4]):,} | {events:.3g} | {events / cpu / 1e6:.2f} M | {cpu:.1f} s | {int(rss_kb) / 1024:.0f} MB |")
with open(sys.argv[5], "a") as rates:
    rates.write(f"{sys.argv[3]} {sys.argv[4]} {events / cpu}\n")
PY
}
echo "## Scaling (visibility_timeout, rho = 0.9, one repetition, one thread)"
echo
echo "| consumers | messages | events | events per CPU second | CPU time | peak memory |"
echo "|---|---|---|---|---|---|"
for m in $messages; do
  for c in $consumers; do run_cell "$c" "$m"; done
done
for m in $large_messages; do
  for c in $large_consumers; do run_cell "$c" "$m"; done
done
# The largest number of consumers against the smallest, at each number of messages measured with both.
/usr/bin/python3 - "$work/rates" <<'PY'
import collections, sys
rates = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    consumers, messages, rate = line.split()
    rates[int(messages)][int(consumers)] = float(rate)
print()
for messages, by_consumers in sorted(rates.items()):
    if len(by_consumers) < 2:
        continue
    low, high = min(by_consumers), max(by_consumers)
    goal = " (the goal: at least 0.5x)" if (low, high) == (8, 100000) else ""
    print(f"{messages:,} messages: {high:,} consumers run at {by_consumers[high] / by_consumers[low]:.2f}x the events "
          f"per CPU second of {low:,}{goal}")
PY
