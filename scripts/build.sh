#!/usr/bin/env bash
# Configures and builds vcrun and its tests into build/ (or $1), or only the ninja targets
# named after the cmake options: scripts/build.sh DIR [-DOPTION=VALUE...] [TARGET...].
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
options=() targets=()
for a in "$@"; do
  case $a in -*) options+=("$a") ;; *) targets+=("$a") ;; esac
done
cmake -S . -B "$dir" -G Ninja -DVCRUN_WERROR=ON "${options[@]}" >/dev/null
ninja -C "$dir" "${targets[@]}"
