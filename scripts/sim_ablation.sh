#!/usr/bin/env bash
# How near the full simulator could come to the minimal M/M/c loop (qlab_sim_bench's FullVsMinimal ratio)
# if it did less: builds qlab_sim_bench from this tree as it is, and once more for each patch of
# bench/ablations/ with it and every patch before it (in name order) applied, then runs FullVsMinimal of
# every build in alternating rounds and prints each round's ratios and their medians. A patched build drops work that results report (see bench/README.md,
# "Where the time goes"): it exists only for this measurement, in a scratch folder, and is deleted after.
# Usage: scripts/sim_ablation.sh [ROUNDS]   (default 3; each round runs every build once, about 10 s each)
#   KEEP=1   keep the scratch folder (its path is printed)
# Builds take a few minutes each without ccache. Needs git (to list the tree's files and apply the patches).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "sim_ablation.sh: ROUNDS must be a positive whole number, not '$rounds'" >&2; exit 2; }
for tool in git cmake /usr/bin/python3; do
  command -v "$tool" > /dev/null || { echo "sim_ablation.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
git rev-parse --is-inside-work-tree > /dev/null 2>&1 ||
  { echo "sim_ablation.sh: $(pwd) is not a git checkout (the tree's files are listed with git ls-files)" >&2; exit 2; }
work=$(mktemp -d)
if [[ ${KEEP:-0} == 1 ]]; then echo "scratch folder: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

# The tree's tracked files as they are now (uncommitted edits included), once per build; build k has the
# first k patches applied, and is named after them (e.g. no_metrics+no_fates).
patches=(bench/ablations/*.patch)
variants=(as_is)
label=""
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  label+="${label:++}${name#*-}"  # 1-no_metrics.patch, 2-no_fates.patch: no_metrics, no_metrics+no_fates
  variants+=("$label")
done
for k in "${!variants[@]}"; do
  variant=${variants[$k]}
  src=$work/$variant
  mkdir -p "$src"
  git ls-files -z | xargs -0 cp --parents -t "$src"
  for patch in "${patches[@]:0:$k}"; do
    (cd "$src" && git apply "$root/$patch") ||
      { echo "sim_ablation.sh: $patch no longer applies to this tree (after the patches before it); update it" >&2; exit 1; }
  done
  echo "building $variant ..." >&2
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 \
    -DQLAB_ENABLE_TESTING=OFF > "$work/$variant.log" 2>&1 &&
    cmake --build "$src/build" -j "$(nproc)" --target qlab_sim_bench >> "$work/$variant.log" 2>&1 ||
    { echo "sim_ablation.sh: building $variant failed; its log:" >&2; tail -n 30 "$work/$variant.log" >&2; exit 1; }
done

for round in $(seq "$rounds"); do
  for variant in "${variants[@]}"; do
    echo "round $round: $variant" >&2
    "$work/$variant/build/bench/qlab_sim_bench" --benchmark_filter=FullVsMinimal --benchmark_format=json \
      > "$work/$variant.$round.json" 2> /dev/null
  done
done

/usr/bin/python3 - "$work" "$rounds" "${variants[@]}" <<'PY'
import json, statistics, sys
work, rounds, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("| build | `pull` ratio (rounds) | median | `visibility_timeout` ratio (rounds) | median |")
print("|---|---|---|---|---|")
for v in variants:
    by_design = {}
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{work}/{v}.{r}.json"))["benchmarks"]:
            by_design.setdefault(b["label"], []).append(b["ratio"])
    cells = []
    for design in ("pull", "visibility_timeout"):
        ratios = by_design[design]
        cells += [", ".join(f"{x:.3f}" for x in ratios), f"**{statistics.median(ratios):.3f}**"]
    print(f"| {v} | " + " | ".join(cells) + " |")
PY
