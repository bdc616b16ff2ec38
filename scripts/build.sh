#!/usr/bin/env bash
# Configures and builds vcrun and its tests into build/ (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DVCRUN_WERROR=ON "$@" >/dev/null
ninja -C "$dir"
