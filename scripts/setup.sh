#!/usr/bin/env bash
# Installs qlab's build and analysis dependencies from Debian's packages. Idempotent: installs only
# what is missing, and runs apt-get update only then. Run as root (or with sudo) on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-matplotlib python3-pandas   # pandas: tests/cli/results_pandas_test.py loads results.csv
  iproute2
  slurm-wlm munge parallel    # tests/bench/suite_slurm_test.py's private cluster; GNU parallel: docs/SCALE.md
  nats-server rabbitmq-server librabbitmq-dev    # live/backends: NATS JetStream and RabbitMQ tests
  redis-server libhiredis-dev beanstalkd  # live back ends (servers started privately by qlab, never as services)
  clang libclang-rt-14-dev   # the fuzz targets: clang 14 and its libFuzzer, ASan and UBSan runtimes
  libssl-dev                 # live/shared_secret.cpp: HMAC-SHA256 of the agents' authentication
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
