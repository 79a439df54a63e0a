#!/usr/bin/env bash
# The live benchmark: qlab's broker, Redis Streams, beanstalkd and NATS JetStream (each in memory and
# durable) and RabbitMQ (durable classic and quorum queue) through the same open-loop client code
# (qlab_live_bench: a sweep of offered rates, then the maximum sustainable rate; 100-byte messages, each
# acked, one in-flight limit for all, latency from the intended send time). Installs beanstalkd,
# redis-server, nats-server and rabbitmq-server from Debian when missing (scripts/setup.sh installs them
# too), without letting the packages start system services; qlab_live_bench starts private servers on
# 127.0.0.1 (free ports, data under a temporary folder) and always stops them. Writes
# OUT_DIR/live_bench.{json,csv,md} and the figure OUT_DIR/live_bench.{png,svg}. The qlab_live_bench client
# links rabbitmq-c (librabbitmq-dev, from scripts/setup.sh).
#
#   scripts/live_bench.sh [--build-dir DIR] [--no-build] [--out-dir DIR] [any qlab_live_bench option...]
#   e.g. scripts/live_bench.sh --out-dir results/live_bench --systems qlab,redis --rates 1000,5000
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
build=1
out_dir=results/live_bench
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_args+=("$1"); shift ;;
  esac
done

log() { echo "live_bench: $*" >&2; }

# --- packages ------------------------------------------------------------------------------------------
missing=()
command -v beanstalkd >/dev/null 2>&1 || missing+=(beanstalkd)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]} (apt-get)"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  # policy-rc.d answering 101 forbids maintainer scripts to start services; put one in place for the
  # install unless the system already has one, and remove ours afterwards.
  policy_created=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    policy_created=1
  fi
  install_ok=1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
    { "${sudo[@]}" apt-get update >&2 &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
    install_ok=0
  [[ $policy_created -eq 0 ]] || "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  [[ $install_ok -eq 1 ]] || { log "could not install ${missing[*]}"; exit 1; }
  # Where systemd runs, the packages enable their units: keep them from starting at boot.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    for unit in beanstalkd redis-server nats-server rabbitmq-server; do
      "${sudo[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi

# --- build ---------------------------------------------------------------------------------------------
if [[ $build -eq 1 ]]; then
  [[ -f "$build_dir/CMakeCache.txt" ]] ||
    cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
  cmake --build "$build_dir" --target qlab qlab_live_bench -j "$(nproc)" >/dev/null
fi
qlab="$build_dir/cli/qlab"
bench="$build_dir/bench/qlab_live_bench"
[[ -x "$qlab" ]] || { log "no $qlab (build first, or give --build-dir)"; exit 1; }
[[ -x "$bench" ]] || { log "no $bench (build first, or give --build-dir)"; exit 1; }

# --- run -----------------------------------------------------------------------------------------------
mkdir -p "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/qlab-live-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bench" --qlab "$qlab" --work-dir "$work" --json "$out_dir/live_bench.json" --csv "$out_dir/live_bench.csv" \
  --markdown "$out_dir/live_bench.md" "${bench_args[@]}"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 analysis/plot_live_bench.py "$out_dir/live_bench.json" "$out_dir" >/dev/null
  log "figure: $out_dir/live_bench.png"
else
  log "no matplotlib for /usr/bin/python3 (apt-get install python3-matplotlib): no figure"
fi
