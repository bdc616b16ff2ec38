#!/usr/bin/env bash
# tests/clients/containerd.sh [VCRUN] — containerd (Debian's 1.6) and its runc v2 shim, the
# path Kubernetes takes through CRI, with vcrun as the shim's runtime binary and crun as the
# control, in the pure cgroup v2 guest. See tests/clients/README.md.
#   tests/vm/run -- tests/clients/containerd.sh build/vcrun
# Exits 1 when an action passes with crun and fails with vcrun; prints SKIP elsewhere.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
clients_gate containerd containerd ctr containerd-shim-runc-v2 crun script timeout sha256sum
clients_setup containerd "${1:-$here/../../build/vcrun}"

# A containerd of the lane's own: its root, state and socket on the guest's tmpfs, and only
# the plugins ctr needs (no CRI: no network plugins in the guest).
cat >"$WORK/config.toml" <<EOF
version = 2
root = "$WORK/root"
state = "$WORK/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$WORK/containerd.sock"
EOF
containerd --config "$WORK/config.toml" >"$WORK/containerd.log" 2>&1 &
CTD_PID=$!
CTR=$(command -v ctr)
ctr() { timeout -k 5 120 "$CTR" -a "$WORK/containerd.sock" "$@"; }
stop_containerd() {
  kill "$CTD_PID" 2>/dev/null
  wait "$CTD_PID" 2>/dev/null
}
for _ in $(seq 120); do
  ctr version >/dev/null 2>&1 && break
  kill -0 "$CTD_PID" 2>/dev/null || break
  sleep 0.5
done
if ! ctr version >/dev/null 2>&1; then
  echo "FAIL: containerd did not start; its log:"
  tail -n 30 "$WORK/containerd.log"
  stop_containerd
  exit 1
fi

# The busybox image as an OCI archive, written by hand (no registry, no other tool).
oci_image() {
  local d=$WORK/oci layer config manifest
  mkdir -p "$d/blobs/sha256"
  clients_busybox_tar "$d/layer.tar"
  blob() { # FILE -> "sha256:HEX SIZE", moved into blobs/
    local sum
    sum=$(sha256sum "$1" | cut -d' ' -f1)
    mv "$1" "$d/blobs/sha256/$sum"
    echo "sha256:$sum $(stat -c %s "$d/blobs/sha256/$sum")"
  }
  read -r layer lsize <<<"$(blob "$d/layer.tar")"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$layer" >"$d/config.json"
  read -r config csize <<<"$(blob "$d/config.json")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$config" "$csize" "$layer" "$lsize" >"$d/manifest.json"
  read -r manifest msize <<<"$(blob "$d/manifest.json")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' \
    "$manifest" "$msize" >"$d/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
  tar -C "$d" -cf "$WORK/bb-oci.tar" oci-layout index.json blobs
}
IMG=localhost/bb:latest
oci_image
if ! ctr images import --base-name localhost/bb "$WORK/bb-oci.tar" >/dev/null ||
  ! ctr images ls -q | grep -qx "$IMG"; then
  echo "FAIL: ctr images import of the busybox image"
  stop_containerd
  exit 1
fi

# ctr run with the shim pointed at the action's runtime, its state under the lane's root.
ctr_run() { ctr run --runc-binary "$RTB" --runc-root "$WORK/runc-$RT" "$@"; }
LONG=(sh -c 'trap "exit 0" TERM; sleep 100000 & wait')
task_status() { ctr tasks ls | awk -v id="$1" '$1 == id { print $3 }'; }
ensure_d() {
  [ "$(task_status "$RT-d")" = RUNNING ] && return
  ctr tasks kill -s SIGKILL "$RT-d" >/dev/null 2>&1 || true
  ctr tasks delete -f "$RT-d" >/dev/null 2>&1 || true
  ctr containers delete "$RT-d" >/dev/null 2>&1 || true
  ctr_run -d "$IMG" "$RT-d" "${LONG[@]}"
  [ "$(task_status "$RT-d")" = RUNNING ]
}
task_pid() { ctr tasks ls | awk -v id="$1" '$1 == id { print $2 }'; }

a_run() {
  out=$(ctr_run --rm "$IMG" "$RT-echo" echo "hello $RT")
  [ "$out" = "hello $RT" ]
}
a_detach() {
  ensure_d
  ctr tasks ls
  # The shim's cgroup for the task: /<namespace>/<id>, as ctr asked.
  grep -x "0::/default/$RT-d" "/proc/$(task_pid "$RT-d")/cgroup"
}
a_exec() {
  ensure_d
  [ "$(ctr tasks exec --exec-id e1 "$RT-d" echo "in $RT")" = "in $RT" ]
  rc=0
  ctr tasks exec --exec-id e2 "$RT-d" sh -c 'exit 3' || rc=$?
  [ $rc = 3 ]
}
a_metrics() {
  ensure_d
  out=$(ctr tasks metrics "$RT-d")
  echo "$out"
  # cgroup v2 metrics: pids.current counts the shell and its sleep.
  [ "$(awk '$1 == "pids.current" { print $2 }' <<<"$out")" -ge 2 ]
  awk '$1 == "memory.usage" && $2 > 0 { found = 1 } END { exit !found }' <<<"$out"
}
a_pause() {
  ensure_d
  ctr tasks pause "$RT-d"
  [ "$(task_status "$RT-d")" = PAUSED ]
  ctr tasks resume "$RT-d"
  [ "$(task_status "$RT-d")" = RUNNING ]
  [ "$(ctr tasks exec --exec-id e3 "$RT-d" echo thawed)" = thawed ]
}
a_kill_delete() {
  ensure_d
  ctr tasks kill "$RT-d"
  for _ in $(seq 60); do
    [ "$(task_status "$RT-d")" = STOPPED ] && break
    sleep 0.5
  done
  [ "$(task_status "$RT-d")" = STOPPED ]
  out=$(ctr tasks delete "$RT-d")
  echo "$out"
  ctr containers delete "$RT-d"
  [ -z "$(task_status "$RT-d")" ]
  # Nothing left behind in the runtime's state either.
  ! "$RTB" --root "$WORK/runc-$RT/default" state "$RT-d"
}
a_tty() {
  out=$(printf 'tty\necho typed-$((6*7))\nexit 5\n' |
    timeout -k 5 120 script -qefc "ctr -a $WORK/containerd.sock run -t --rm --runc-binary $RTB --runc-root $WORK/runc-$RT $IMG $RT-tty sh" /dev/null) &&
    rc=0 || rc=$?
  printf '%s' "$out" | od -c | tail -n 12
  [ $rc = 5 ]
  [[ $out == *$'/dev/pts/0\r'* ]]
  [[ $out == *$'typed-42\r'* ]]
}
a_resources() {
  # ctr's spec mounts no cgroup filesystem the task could read: its cgroup, seen from here.
  ctr_run -d --memory-limit 67108864 --cpus 0.5 "$IMG" "$RT-res" "${LONG[@]}"
  dir=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$(task_pid "$RT-res")/cgroup")
  out="$(cat "$dir/memory.max") $(cat "$dir/cpu.max")"
  ctr tasks kill -s SIGKILL "$RT-res"
  ctr tasks delete -f "$RT-res" >/dev/null 2>&1 || true
  ctr containers delete "$RT-res"
  [ "$out" = "67108864 50000 100000" ]
}
a_privileged() {
  out=$(ctr_run --rm --privileged "$IMG" "$RT-priv" sh -c 'grep CapEff /proc/self/status; test -c /dev/kmsg && echo kmsg')
  echo "$out"
  has_sys_admin "$(echo "$out" | grep CapEff)"
  echo "$out" | grep -x kmsg
}
exit_is() {
  local want=$1 reason=$2 rc=0
  shift 2
  ctr_run --rm "$IMG" "$RT-exit" "$@" 2>"$WORK/stderr.$RT" || rc=$?
  cat "$WORK/stderr.$RT"
  ctr containers delete "$RT-exit" 2>/dev/null || true
  [ $rc = "$want" ] && grep -Eqi "$reason" "$WORK/stderr.$RT"
}
a_exit7() { exit_is 7 '' sh -c 'exit 7'; }
# ctr reports a process that cannot be started as its own failure (status 1), with the
# runtime's reason.
a_exit126() { exit_is 1 'permission denied|not permitted' /etc; }
a_exit127() { exit_is 1 'not found|no such file' /nonexistent; }
a_exit137() {
  ctr_run --rm "$IMG" "$RT-k" sleep 100000 &
  for _ in $(seq 60); do
    [ "$(task_status "$RT-k")" = RUNNING ] && break
    kill -0 $! # ctr run failed
    sleep 0.5
  done
  ctr tasks kill -s SIGKILL "$RT-k"
  rc=0
  wait $! || rc=$?
  [ $rc = 137 ]
}

act 'run (echo)' a_run
act 'run -d, tasks ls' a_detach
act 'tasks exec' a_exec
act 'tasks metrics' a_metrics
act 'tasks pause/resume' a_pause
act 'tasks kill/delete' a_kill_delete
act 'run -t' a_tty
act 'run --memory-limit --cpus' a_resources
act 'run --privileged' a_privileged
act 'exit code 7' a_exit7
act 'exec failure 126 (EACCES)' a_exit126
act 'exec failure 127 (ENOENT)' a_exit127
act 'exit code 137 (tasks kill)' a_exit137

for rt in "${RUNTIMES[@]}"; do
  for id in "$rt-d" "$rt-k" "$rt-res"; do
    ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1
    ctr tasks delete -f "$id" >/dev/null 2>&1
    ctr containers delete "$id" >/dev/null 2>&1
  done
done
stop_containerd
clients_report
