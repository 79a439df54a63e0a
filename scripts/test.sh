#!/usr/bin/env bash
# README command 2: installs dependencies, builds, and runs every test (unit, end-to-end, analysis); then
# the same tests again under AddressSanitizer + UndefinedBehaviorSanitizer (./build-asan), and each fuzz
# target for a bounded time (./build-fuzz, clang + libFuzzer). QLAB_SANITIZE=0 skips those two passes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
jobs="$(nproc)"
(cd build && ctest --output-on-failure -j "$jobs" --timeout 600)
[ "${QLAB_SANITIZE:-1}" = 0 ] && exit 0

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)  # as scripts/build.sh: a third of the compile time
# -O1 -g1: quicker to compile than -O2 -g, and the sanitized tests still run in about a minute.
sanitize="-O1 -g1 -fno-omit-frame-pointer -fno-sanitize-recover=all"

# Sanitizer pass: every test again (RabbitMQ's aside, below), the Python end-to-end ones included (their qlab is
# the sanitized one).
# Left out: the benchmarks (timing, not correctness). LeakSanitizer is on, so a leak fails the test too.
# float-cast-overflow: GCC's "undefined" leaves out the float-to-integer conversions the clock relies on.
# -Wno-maybe-uninitialized: GCC's sanitizer instrumentation makes it report std::regex's internals falsely.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=address,undefined,float-cast-overflow -Wno-maybe-uninitialized" \
  -DQLAB_ENABLE_BENCHMARKS=OFF "${unity[@]}" "${launcher[@]}" >/dev/null
cmake --build build-asan -j "$jobs"
# RabbitMQ's tests run in the Release pass only: its nodes' start is what takes their time (docs/BACKENDS.md).
(cd build-asan && QLAB_TEST_RABBITMQ=0 ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" --timeout 600)

# Fuzzing: every library the targets reach is instrumented, so this is a third build folder (clang).
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="$sanitize -fsanitize=fuzzer-no-link,address,undefined" \
  -DQLAB_ENABLE_TESTING=OFF -DQLAB_ENABLE_BENCHMARKS=OFF -DQLAB_ENABLE_FUZZING=ON "${unity[@]}" "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "$jobs" --target qlab_fuzzers
(cd build-fuzz && ctest --output-on-failure -j "$jobs")
