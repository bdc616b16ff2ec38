#!/usr/bin/env bash
# Runs every test lane: unit, integration (root), security escape suite (root), and the
# cgroup v2 lane (natively on a pure cgroup v2 host, otherwise in the QEMU guest).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
if [ "$(id -u)" != 0 ]; then
  echo "the integration lanes need root: run as root (sudo scripts/test.sh)" >&2
  exit 1
fi
status=0
echo "=== unit + integration + security (ctest)"
ctest --test-dir build --output-on-failure -LE vm || status=1
echo "=== cgroup v2 lane"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] &&
   grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  ctest --test-dir build --output-on-failure -L vm || status=1
else
  echo "host cgroups are v1/v2 hybrid: running the vm lane in pure cgroup v2 QEMU guests"
  # Both kernel series Debian 12 packages (6.1, and 6.12 as linux-image-6.12.*+deb12):
  # the cgroup and BPF interfaces vcrun uses changed between them. Container state and
  # bundles live on the guest's tmpfs: the build tree is a 9p share (and the checkout too
  # where the guest's own /tmp or /run would hide it: tests/vm/run). The vm label holds
  # the podman and containerd lanes (label clients, about 5 minutes under TCG): they run
  # in the newer guest only, to keep CI within its time; the cgroup tests run in both. The
  # guest gets a sparse scratch disk for the IO-weight test (zeros only: no host space used).
  for kernel in 6.1 6.12; do
    echo "=== cgroup v2 lane, guest kernel $kernel"
    skip=()
    [ "$kernel" = 6.12 ] || skip=(-LE clients)
    VCRUN_TEST_WORKDIR=/tmp/vcrun-tests tests/vm/run --kernel "$kernel" --disk 65536 --timeout 2700 -- \
      ctest --test-dir build --output-on-failure -L vm "${skip[@]}" || status=1
  done
fi
exit $status
