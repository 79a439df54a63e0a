#!/usr/bin/env bash
# Where the simulator spends its time, sampled in user space (perf does not work in this sandbox):
# gperftools' CPU profiler (SIGPROF, google-perftools) preloaded into one `qlab run`, then the hottest
# functions, or source lines with LINES=1 (a build with line tables: cmake -DCMAKE_CXX_FLAGS=-g).
# Usage: scripts/sim_profile.sh SCENARIO.yaml [qlab run options, e.g. --set consumers[0].count=100000]
#   QLAB=/path/to/qlab   another build (default ./build/cli/qlab)
#   TOP=40               how many rows (default 30)
#   FREQUENCY=2000       samples per second of CPU time (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: scripts/sim_profile.sh SCENARIO.yaml [qlab run options]" >&2; exit 2; }
qlab=${QLAB:-./build/cli/qlab}
library=/usr/lib/x86_64-linux-gnu/libprofiler.so
for tool in "$qlab" "$library" /usr/bin/google-pprof; do
  [[ -e $tool ]] || { echo "sim_profile.sh: $tool is missing (apt-get install google-perftools; build: scripts/build.sh)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
LD_PRELOAD=$library CPUPROFILE="$work/cpu.prof" CPUPROFILE_FREQUENCY=${FREQUENCY:-1000} \
  "$qlab" run "$@" -j 1 --out "$work/out" > /dev/null 2> >(grep -v '^PROFILE: ' >&2)
granularity=--functions
[[ ${LINES:-0} == 1 ]] && granularity=--lines
# Columns: samples in the function itself, its share, the running share, samples including what it calls, share.
google-pprof --text "$granularity" "$qlab" "$work/cpu.prof" 2> /dev/null | head -n $((${TOP:-30} + 1))
