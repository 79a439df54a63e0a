#!/usr/bin/env bash
# The live benchmark (issue 4): a qlab broker (visibility_timeout), beanstalkd and a Redis reliable queue on
# loopback under the same closed-loop load (100-byte messages, every one acked, at most 64 in flight),
# measured by qlab_live_bench. Installs beanstalkd and redis-server from Debian when missing, without
# letting the packages start system services; starts private instances on 127.0.0.1 on free ports with
# their data under a temporary folder, and stops them (and the broker) on exit, also on failure.
#
#   scripts/live_bench.sh [--build-dir DIR] [--no-build] [--out FILE] [any qlab_live_bench option...]
#   e.g. scripts/live_bench.sh --count 1000000 --duration 10 --out results/live_bench.md
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
build=1
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_args+=("$1"); shift ;;
  esac
done

log() { echo "live_bench: $*" >&2; }

# --- packages ------------------------------------------------------------------------------------------
missing=()
command -v beanstalkd >/dev/null 2>&1 || missing+=(beanstalkd)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
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
    for unit in beanstalkd redis-server; do
      "${sudo[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
fi

# --- build ---------------------------------------------------------------------------------------------
if [[ $build -eq 1 ]]; then
  [[ -f "$build_dir/CMakeCache.txt" ]] || cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" --target qlab qlab_live_bench -j "$(nproc)" >/dev/null
fi
qlab="$build_dir/cli/qlab"
bench="$build_dir/bench/qlab_live_bench"
[[ -x "$qlab" ]] || { log "no $qlab (build first, or give --build-dir)"; exit 1; }
[[ -x "$bench" ]] || { log "no $bench (build first, or give --build-dir)"; exit 1; }

# --- servers -------------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/qlab-live-bench.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something accepts connections on 127.0.0.1:$1 (or the process $2 died).
wait_for_port() {
  local port=$1 pid=$2 name=$3 i
  for i in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "$name exited; its log:"; cat "$work/$name.log" >&2; exit 1; }
    sleep 0.05
  done
  log "$name is not listening on 127.0.0.1:$port"; exit 1
}

"$qlab" broker --design visibility_timeout --listen 127.0.0.1:0 >"$work/qlab.out" 2>"$work/qlab.log" &
pids+=($!)
qlab_pid=$!
for i in $(seq 100); do
  grep -q '^listening on ' "$work/qlab.out" 2>/dev/null && break
  kill -0 "$qlab_pid" 2>/dev/null || { log "qlab broker exited:"; cat "$work/qlab.log" >&2; exit 1; }
  sleep 0.05
done
qlab_address=$(sed -n 's/^listening on //p' "$work/qlab.out")
[[ -n "$qlab_address" ]] || { log "qlab broker did not say where it listens"; exit 1; }

mkdir -p "$work/beanstalkd" "$work/redis"
beanstalkd_port=$(free_port)
# No -b: jobs in memory only, as the qlab broker and this Redis keep them.
beanstalkd -l 127.0.0.1 -p "$beanstalkd_port" >"$work/beanstalkd.log" 2>&1 &
pids+=($!)
wait_for_port "$beanstalkd_port" $! beanstalkd

redis_port=$(free_port)
# No config file; no snapshots or AOF (in memory, like the others), our own dir, loopback only.
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" --save '' --appendonly no \
  --daemonize no --protected-mode yes --logfile "$work/redis.log" &
pids+=($!)
wait_for_port "$redis_port" $! redis

log "qlab broker on $qlab_address, beanstalkd on 127.0.0.1:$beanstalkd_port ($(beanstalkd -v 2>&1 | head -1)), redis on 127.0.0.1:$redis_port ($(redis-server --version | cut -d' ' -f3))"
"$bench" --qlab "$qlab_address" --beanstalkd "127.0.0.1:$beanstalkd_port" --redis "127.0.0.1:$redis_port" \
  "${bench_args[@]}"
