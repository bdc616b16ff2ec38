#!/usr/bin/env bash
# The newcomer's first command: install what building vcrun needs, build the vcrun binary
# only (no tests, no man pages: scripts/test.sh builds those), run a first container.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
# Release: the binary to use (and a fifth less build time than the default -O2 -g).
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release vcrun
echo "--- a first container: the host's / under a private overlay, its own pid/uts/net/ipc/mount namespaces"
build/vcrun run --rm --hostname first -- /bin/sh -c \
  'echo "hello from $(hostname), I am pid $$"; ls /proc | grep -c "^[0-9]" | sed "s/^/processes I can see: /"'
