#!/usr/bin/env bash
# README command 2: installs dependencies, builds, and runs every test (unit, end-to-end, analysis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 600
