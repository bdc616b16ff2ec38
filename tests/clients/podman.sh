#!/usr/bin/env bash
# tests/clients/podman.sh [VCRUN] — podman (Debian's, through conmon) driving vcrun, with
# crun as the control, in the pure cgroup v2 guest. See tests/clients/README.md.
#   tests/vm/run -- tests/clients/podman.sh build/vcrun
# Exits 1 when an action passes with crun and fails with vcrun; prints SKIP elsewhere.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
clients_gate podman podman conmon crun script timeout
clients_setup podman "${1:-$here/../../build/vcrun}"

# The engine's configuration, as a user would write it (README: "podman").
cat >"$WORK/containers.conf" <<EOF
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
[engine.runtimes]
vcrun = ["${RTBIN[vcrun]}"]
crun = ["${RTBIN[crun]}"]
EOF
export CONTAINERS_CONF=$WORK/containers.conf
# The guest's / is read-only under an overlay: storage and run state on its tmpfs.
PODMAN=(podman --root "$WORK/storage" --runroot "$WORK/runroot" --tmpdir "$WORK/libpod"
  --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
IMG=localhost/bb:latest
pm() { timeout -k 5 120 "${PODMAN[@]}" "$@"; }
# pm with the action's runtime: the container remembers it, later calls use it too.
pmr() { pm --runtime "$RT" "$@"; }

clients_busybox_tar "$WORK/bb.tar"
if ! pm import --change 'CMD ["/bin/sh"]' "$WORK/bb.tar" "$IMG" >/dev/null; then
  echo "FAIL: podman import of the busybox image"
  exit 1
fi

# The container's cgroup directory on the host, from its init's /proc/PID/cgroup.
cgdir() {
  local pid
  pid=$(pm inspect -f '{{.State.Pid}}' "$1")
  echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}
# One long-running container per runtime, $RT-d, shared by the actions that need one.
LONG=(sh -c 'trap "exit 0" TERM; sleep 100000 & wait')
ensure_d() {
  [ "$(pm inspect -f '{{.State.Status}}' "$RT-d" 2>/dev/null)" = running ] && return
  pm rm -f "$RT-d" >/dev/null 2>&1 || true
  pmr run -d --name "$RT-d" --network none "$IMG" "${LONG[@]}"
}
status_is() { [ "$(pm inspect -f '{{.State.Status}}' "$1")" = "$2" ]; }

a_run() {
  out=$(pmr run --rm --network none "$IMG" echo "hello $RT")
  [ "$out" = "hello $RT" ]
}
a_detach() {
  pm rm -f "$RT-d" || true
  ensure_d
  status_is "$RT-d" running
}
a_exec() {
  ensure_d
  [ "$(pm exec "$RT-d" echo "in $RT")" = "in $RT" ]
  rc=0
  out=$(pm exec --user 1000:1000 "$RT-d" sh -c 'id -u; exit 3') || rc=$?
  [ "$out" = 1000 ] && [ $rc = 3 ]
}
a_ps_top() {
  ensure_d
  pm ps --format '{{.Names}} {{.Status}}' | grep "^$RT-d Up"
  pm top "$RT-d" pid args | grep 'sleep 100000'
}
a_stats() {
  ensure_d
  out=$(pm stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' "$RT-d")
  read -r name pids mem <<<"$out"
  [ "$name" = "$RT-d" ] && [ "$pids" -ge 2 ] && [[ $mem =~ ^[0-9.]+[kMG]?B ]]
}
a_inspect() {
  ensure_d
  read -r runtime status pid id <<<"$(pm inspect -f '{{.OCIRuntime}} {{.State.Status}} {{.State.Pid}} {{.Id}}' "$RT-d")"
  [ "$runtime $status" = "$RT running" ]
  # The pid podman reports is the container's init, in the cgroup podman asked for.
  grep "^0::/libpod_parent/libpod-$id\$" "/proc/$pid/cgroup"
}
a_pause() {
  ensure_d
  dir=$(cgdir "$RT-d")
  pm pause "$RT-d"
  grep -x 'frozen 1' "$dir/cgroup.events"
  status_is "$RT-d" paused
  pm unpause "$RT-d"
  grep -x 'frozen 0' "$dir/cgroup.events"
  [ "$(pm exec "$RT-d" echo thawed)" = thawed ]
}
a_update() {
  ensure_d
  dir=$(cgdir "$RT-d")
  pm update --memory 64m --cpus 0.5 "$RT-d"
  [ "$(cat "$dir/memory.max")" = 67108864 ]
  [ "$(cat "$dir/cpu.max")" = "50000 100000" ]
}
state_is() { [ "$(pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$1")" = "$2" ]; }
a_stop_restart() {
  ensure_d
  pm stop -t 20 "$RT-d"
  state_is "$RT-d" 'exited 0'
  pm start "$RT-d"
  pm kill "$RT-d"
  pm wait "$RT-d" || true
  state_is "$RT-d" 'exited 137'
  pm restart "$RT-d"
  [ "$(pm exec "$RT-d" echo restarted)" = restarted ]
  pm rm -f "$RT-d"
  ! pm container exists "$RT-d"
}
a_tty() {
  # A terminal for podman from script(1); the typed lines reach the container's shell and
  # its output comes back with the pty's \r\n (ONLCR).
  out=$(printf 'tty\necho typed-$((6*7))\nexit 5\n' |
    timeout -k 5 120 script -qefc "${PODMAN[*]} run -it --rm --runtime $RT --network none $IMG sh" /dev/null) &&
    rc=0 || rc=$?
  printf '%s' "$out" | od -c | tail -n 12
  [ $rc = 5 ]
  [[ $out == *$'/dev/pts/0\r'* ]]
  [[ $out == *$'typed-42\r'* ]]
}
a_privileged() {
  out=$(pmr run --rm --network none --privileged "$IMG" sh -c 'grep CapEff /proc/self/status; test -c /dev/kmsg && echo kmsg')
  echo "$out"
  has_sys_admin "$(echo "$out" | grep CapEff)"
  echo "$out" | grep -x kmsg
}
a_device_rule() {
  # The image's /fuse is /dev/fuse's 10:229: readable with the rule, denied without it.
  modprobe fuse 2>/dev/null || true
  out=$(pmr run --rm --network none --device-cgroup-rule 'c 10:229 rwm' "$IMG" sh -c 'exec 3</fuse && echo opened')
  [ "$out" = opened ]
  ensure_d
  ! pm exec "$RT-d" sh -c 'exec 3</fuse'
}
a_resources() {
  # What the container sees in its own cgroup (cgroup namespace, /sys/fs/cgroup).
  out=$(pmr run --rm --network none --memory 64m --pids-limit 50 --cpus 0.5 --cpuset-cpus 0 \
    --memory-reservation 32m --blkio-weight 300 "$IMG" sh -c '
      cd /sys/fs/cgroup && for f in memory.max pids.max cpu.max cpuset.cpus memory.low io.weight io.bfq.weight; do
        if [ -e $f ]; then echo "$f=$(head -n1 $f)"; fi; done')
  echo "$out"
  grep -x memory.max=67108864 <<<"$out"
  grep -x pids.max=50 <<<"$out"
  grep -x 'cpu.max=50000 100000' <<<"$out"
  grep -x cpuset.cpus=0 <<<"$out"
  grep -x memory.low=33554432 <<<"$out"
  # blkio weight 300: io.bfq.weight takes it as is, io.weight converted to 1..10000.
  grep -Ex 'io.bfq.weight=default 300|io.weight=default 2930' <<<"$out"
}
a_readonly_user() {
  out=$(pmr run --rm --network none --read-only --user 1000:1000 --cap-drop all "$IMG" sh -c \
    'id -u; id -g; touch /x 2>/dev/null && echo rw || echo ro; grep CapEff /proc/self/status')
  echo "$out"
  [ "$(echo "$out" | tr -s '\t\n' ' ')" = "1000 1000 ro CapEff: 0000000000000000 " ]
}
# run's exit status; podman's stderr must name the reason for 126 and 127, so that a
# runtime failing for another reason (podman then says 126 too) does not pass.
exit_is() {
  local want=$1 reason=$2 rc=0
  shift 2
  pmr run --rm --network none "$IMG" "$@" 2>"$WORK/stderr.$RT" || rc=$?
  cat "$WORK/stderr.$RT"
  [ $rc = "$want" ] && grep -Eqi "$reason" "$WORK/stderr.$RT"
}
a_exit7() { exit_is 7 '' sh -c 'exit 7'; }
a_exit126() { exit_is 126 'permission denied' /etc; }
a_exit127() { exit_is 127 'not found|no such file' /nonexistent; }
a_exit137() {
  # Killed from outside (pid 1 cannot SIGKILL itself): run's status is 128+9.
  pmr run --rm --network none --name "$RT-k" "$IMG" sleep 100000 &
  for _ in $(seq 60); do
    [ "$(pm inspect -f '{{.State.Status}}' "$RT-k" 2>/dev/null)" = running ] && break
    kill -0 $! # podman run failed
    sleep 1
  done
  pm kill "$RT-k"
  rc=0
  wait $! || rc=$?
  [ $rc = 137 ]
}

act 'run (echo)' a_run
act 'run -d' a_detach
act exec a_exec
act 'ps/top' a_ps_top
act 'stats --no-stream' a_stats
act inspect a_inspect
act pause/unpause a_pause
act 'update --memory --cpus' a_update
act 'stop/start/kill/restart/rm' a_stop_restart
act 'run -it' a_tty
act --privileged a_privileged
act --device-cgroup-rule a_device_rule
act 'resource flags' a_resources
act '--read-only --user --cap-drop' a_readonly_user
act 'exit code 7' a_exit7
act 'exit code 126' a_exit126
act 'exit code 127' a_exit127
act 'exit code 137' a_exit137

for rt in "${RUNTIMES[@]}"; do pm rm -f "$rt-d" "$rt-k" >/dev/null 2>&1; done
clients_report
