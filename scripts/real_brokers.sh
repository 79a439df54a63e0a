#!/usr/bin/env bash
# The seed's claims on real brokers, through `qlab live --backend` (docs/BACKENDS.md, "qlab live on a real
# broker"): the same scenario, processes and faults on qlab's broker, Redis Streams, NATS JetStream, beanstalkd
# (and RabbitMQ with --with-rabbitmq), and the JetStream 3-node cluster beside the simulated `replicated` design
# with `qlab compare`. Servers are Debian's (scripts/setup.sh), started by qlab on 127.0.0.1 and stopped by pid.
# Writes OUT_DIR/<case>/ (results folders), OUT_DIR/<case>.log, OUT_DIR/compare-replicated.txt and
# OUT_DIR/summary.md (lost, lost_confirmed, duplicates, redeliveries per back end and fault).
#
#   scripts/real_brokers.sh [--qlab PATH] [--out-dir DIR] [--reps N] [--with-rabbitmq]
#   e.g. scripts/real_brokers.sh --out-dir results/real_brokers --reps 3
set -euo pipefail
cd "$(dirname "$0")/.."

qlab=build/cli/qlab
out_dir=results/real_brokers
reps=3
rabbitmq=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --qlab) qlab="$2"; shift 2 ;;
    --out-dir) out_dir="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --with-rabbitmq) rabbitmq=1; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "real_brokers: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$qlab" ]] || { echo "real_brokers: no qlab executable at $qlab (build it, or give --qlab)" >&2; exit 2; }
rm -rf "$out_dir"
mkdir -p "$out_dir"
log() { echo "real_brokers: $*" >&2; }

# The scenarios (also run by tests/live/real_backends_live_test.py): crash_stall (a consumer SIGKILLed and one
# SIGSTOPped beyond the visibility timeout), replicated (the stream leader of three replicas SIGKILLed twice),
# one_node_crash (one node SIGKILLed with a backlog).
scenarios=tests/live/real_brokers

live() {  # CASE SCENARIO BACKEND [qlab live options...]
  local name="$1" scenario="$2" backend="$3"
  shift 3
  log "$name: qlab live --backend $backend $*"
  if ! "$qlab" live "$scenarios/$scenario" --backend "$backend" --reps "$reps" --out "$out_dir/$name" "$@" \
      > "$out_dir/$name.log" 2>&1; then
    log "$name failed (see $out_dir/$name.log)"
  fi
}

# Consumer faults on every back end (beanstalkd only knows release on disconnect; a RabbitMQ consumer's
# channel is closed by the broker's consumer_timeout instead of a per-message timeout).
live crash_stall-qlab crash_stall.yaml qlab
live crash_stall-redis crash_stall.yaml redis
live crash_stall-nats crash_stall.yaml nats
live crash_stall-beanstalkd crash_stall.yaml beanstalkd --set queue.release_on_disconnect=true
if [[ $rabbitmq == 1 ]]; then live crash_stall-rabbitmq crash_stall.yaml rabbitmq; fi

# Replication: JetStream with three replicas, against the simulated design.
log "replicated-sim: qlab run"
"$qlab" run "$scenarios/replicated.yaml" --reps "$reps" --out "$out_dir/replicated-sim" > "$out_dir/replicated-sim.log" 2>&1
live replicated-nats replicated.yaml nats
if [[ $rabbitmq == 1 ]]; then live replicated-rabbitmq replicated.yaml rabbitmq; fi
"$qlab" compare "$out_dir/replicated-sim" "$out_dir/replicated-nats" \
  --metrics published,unique_processed,lost,lost_confirmed,duplicates,redeliveries,refused_publishes,retried_publishes,latency_p99 \
  > "$out_dir/compare-replicated.txt" 2>&1 || log "qlab compare failed (see $out_dir/compare-replicated.txt)"

# Durability of one node: memory storage loses the backlog, file storage and Redis's append-only file keep it.
live one_node-nats-memory one_node_crash.yaml nats --set live.backend_options.storage=memory
live one_node-nats-file one_node_crash.yaml nats --set live.backend_options.storage=file
live one_node-redis-aof one_node_crash.yaml redis
live one_node-qlab one_node_crash.yaml qlab

/usr/bin/python3 - "$out_dir" <<'EOF'
import json, os, sys
out = sys.argv[1]
keys = ["published", "unique_processed", "lost", "lost_confirmed", "duplicates", "redeliveries"]
lines = ["| case | back end (version) | reps | " + " | ".join(keys) + " |", "|---" * (len(keys) + 3) + "|"]
for case in sorted(os.listdir(out)):
    summary = os.path.join(out, case, "summary.json")
    if not os.path.exists(summary):
        continue
    s = json.load(open(summary))
    live = s["scenario_resolved"].get("live", {})
    backend = "%s (%s)" % (live.get("backend", "-"), live.get("backend_version", "-")) if s["mode"] == "live" else "simulated"
    cells = []
    for k in keys:
        m = s["metrics"].get(k, {})
        runs = [r["metrics"].get(k) for r in s.get("runs", []) if r["metrics"].get(k) is not None]
        cells.append("%g" % m["mean"] + (" (%s)" % ", ".join("%g" % v for v in runs) if len(runs) > 1 else "")
                     if m.get("mean") is not None else "n/a")
    lines.append("| %s | %s | %d | %s |" % (case, backend, len(s.get("runs", [])), " | ".join(cells)))
open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
