#!/usr/bin/env bash
# README command 1: installs dependencies, builds, runs the bundled benchmark suite and draws its plots.
# Idempotent: finished suite points are kept (--resume), plots are redrawn.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
out=results/seed
./build/cli/qlab suite bench/suites/seed.yaml --out "$out" --resume
./build/cli/qlab plot "$out"
echo "report: $(pwd)/$out/plots/index.html"
