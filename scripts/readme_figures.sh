#!/usr/bin/env bash
# Regenerates the figures the README shows (docs/figures/*.png) from the bundled suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
./build/cli/qlab suite bench/suites/seed.yaml --out "$out" >/dev/null
./build/cli/qlab plot "$out" >/dev/null
mkdir -p docs/figures
cp "$out/plots/heterogeneity-sweep.png" "$out/plots/replication-designs.png" docs/figures/
echo "wrote docs/figures/heterogeneity-sweep.png docs/figures/replication-designs.png"
