#!/usr/bin/env bash
# Installs what vcrun needs to build and test, from Debian's/Ubuntu's packages only.
# Usage: scripts/install-deps.sh [build]   (build: only what building vcrun itself needs,
# for scripts/quickstart.sh; without it, everything the test lanes and CI use too)
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config
  libseccomp-dev libcap-ng-dev nlohmann-json3-dev libspdlog-dev libcli11-dev
  libmnl-dev libnftnl-dev  # src/net: rtnetlink (libmnl) and the NAT's nftables messages
  libxxhash-dev  # vcrun unify: XXH3, the content hash that nominates files to compare
  catch2 help2man)  # cmake's configure looks for both (tests, man pages), even for vcrun alone
if [ "${1:-}" != build ]; then
  packages+=(busybox-static  # the tests' container root filesystems
    clang man-db  # .ci/run: the clang (sanitizer) lane and the install check (man -l)
    libclang-rt-14-dev  # tests/fuzz: libFuzzer and the sanitizer runtimes for clang 14
    jq  # tests/fault: builds the hostile configs
    iproute2 nftables  # network tests: netns setup (ip) and the leftover-rule check (nft)
    iperf3  # HTB tests and bench/network: the senders and the sink
    podman conmon containerd crun
    qemu-system-x86 kmod cpio)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
