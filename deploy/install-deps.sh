#!/usr/bin/env bash
# install-deps.sh — install every Debian 12 package the project builds, tests and
# benchmarks with. Idempotent: does nothing when all are present. Run as root.
set -euo pipefail
PKGS=(
  meson ninja-build pkg-config gcc g++ clang libclang-rt-14-dev
  libdpdk-dev dpdk                  # DPDK 22.11: libraries + dpdk-testpmd (raw RX ceiling)
  liburing-dev liblz4-dev lz4 libxxhash-dev
  libsodium-dev libpcap-dev libcriterion-dev libsimdjson-dev
  tcpreplay iproute2 ethtool tcpdump python3 procps
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
