# tests/clients/lib.sh — shared by the client lanes (podman.sh, containerd.sh); sourced.
#
# A lane runs each action with every runtime under test, interleaved (vcrun, then the
# control, crun), records PASS/FAIL per runtime, prints a table and fails when an action
# passes with the control but fails with vcrun. Every runtime call the client makes goes
# through a logging wrapper (argv, the JSON files it names, stderr, exit status), and the
# calls a failing action made are printed with it.

# The clients create cgroups wherever they like: on a v1/v2 hybrid host that would be the
# v1 hierarchies the machine itself uses. They run only in the tests/vm guest (or on a pure
# cgroup v2 host whose owner opts in).
clients_gate() {
  local lane=$1
  shift
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the $lane lane needs root"
    exit 0
  fi
  if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] ||
    ! grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    echo "SKIP: the $lane lane needs a pure cgroup v2 host with the memory controller" \
      "(this one is a v1/v2 hybrid): it runs in the guest, tests/vm/run"
    exit 0
  fi
  if [ "$(cat /proc/sys/kernel/hostname)" != vcrun-vm ] && [ "${VCRUN_CLIENTS_ON_HOST:-}" != 1 ]; then
    echo "SKIP: the $lane lane runs only in the tests/vm guest" \
      "(VCRUN_CLIENTS_ON_HOST=1 runs it on this pure cgroup v2 host)"
    exit 0
  fi
  local tool missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    # CI installs them (scripts/install-deps.sh): there a missing client is a failure.
    echo "${CI:+FAIL}${CI:-SKIP}: the $lane lane needs ${missing[*]} (scripts/install-deps.sh installs them)"
    [ -n "${CI:-}" ] && exit 1
    exit 0
  fi
}

# clients_setup LANE VCRUN: scratch space on the guest's tmpfs, the logging wrappers,
# RUNTIMES (names, vcrun first) and RTBIN[name] (the wrapper each client is given).
clients_setup() {
  LANE=$1
  local vcrun=$2
  [ -x "$vcrun" ] || { echo "FAIL: no vcrun binary at $vcrun"; exit 1; }
  WORK=$(mktemp -d "/tmp/vcrun-$LANE.XXXXXX")
  mkdir -p "$WORK/bin" "$WORK/out" "$WORK/calls"
  RUNTIMES=(vcrun crun)
  declare -gA RTBIN RESULT
  clients_wrapper vcrun "$(readlink -f "$vcrun")"
  clients_wrapper crun "$(command -v crun)"
  ACTIONS=()
  LANE_START=$(date +%s)
}

# Writes $WORK/bin/NAME: logs the call to $WORK/calls/NAME.log, runs REAL, logs the status.
# The wrapper keeps the runtime's name: clients pick runtime features by it.
clients_wrapper() {
  local name=$1 real=$2 w=$WORK/bin/$1
  cat >"$w" <<EOF
#!/bin/bash
# Logging wrapper around $real (tests/clients/lib.sh).
log=$WORK/calls/$name.log
{
  printf '%s [%s]' "\$(date +%T.%N | cut -c1-12)" "\$\$"
  printf ' %q' $real "\$@"
  echo
  prev=
  for a in "\$@"; do
    case \$prev in
      --process|--resources) echo "  \$prev: \$(tr -d '\n' <"\$a" 2>&1 | cut -c1-4000)" ;;
      --bundle|-b) cp "\$a/config.json" "$WORK/calls/config.\$(date +%s%N).json" 2>/dev/null ;;
    esac
    prev=\$a
  done
} >>"\$log"
verb=
for a in "\$@"; do
  case \$a in create|run|exec|start|kill|delete|state|pause|resume|update|ps|events|features|spec|list|checkpoint|restore) verb=\$a; break ;; esac
done
case \$verb in
  create|run|exec)
    # stdio may be the container's: leave it alone.
    $real "\$@"
    rc=\$?
    ;;
  *)
    err=\$(mktemp)
    $real "\$@" 2>"\$err"
    rc=\$?
    cat "\$err" >&2
    sed 's/^/  stderr: /' "\$err" >>"\$log"
    rm -f "\$err"
    ;;
esac
echo "  [\$\$] \$verb -> \$rc" >>"\$log"
exit \$rc
EOF
  chmod +x "$w"
  RTBIN[$name]=$w
}

# act NAME FUNCTION: runs FUNCTION once per runtime with RT (name) and RTB (wrapper path)
# set, in a subshell with -e and -x; its trace and output go to $WORK/out/NAME.RT.
act() {
  local name=$1 fn=$2 rt before rc t0 out
  ACTIONS+=("$name")
  for rt in "${RUNTIMES[@]}"; do
    before=$(clients_log_lines "$rt")
    t0=$(date +%s)
    out=$WORK/out/${#ACTIONS[@]}.$rt
    (
      RT=$rt RTB=${RTBIN[$rt]}
      set -ex
      "$fn"
    ) >"$out" 2>&1 </dev/null
    rc=$?
    if [ $rc = 0 ]; then RESULT[$name,$rt]=PASS; else RESULT[$name,$rt]=FAIL; fi
    echo "$LANE: $name [$rt] ${RESULT[$name,$rt]} ($(($(date +%s) - t0)) s)"
    if [ $rc != 0 ]; then
      tail -n +"$((before + 1))" "$WORK/calls/$rt.log" >"$out.calls" 2>/dev/null
    fi
  done
}

clients_log_lines() {
  if [ -f "$WORK/calls/$1.log" ]; then wc -l <"$WORK/calls/$1.log"; else echo 0; fi
}

# Prints the table and each failure's details; returns 1 when an action passed with crun
# and failed with vcrun. A crun failure is the test environment's problem: it is marked,
# and the same action failing with vcrun then proves nothing.
clients_report() {
  local i name rt v c out regress=() envfail=()
  {
    echo
    echo "=== $LANE lane: $(uname -r), $(($(date +%s) - LANE_START)) s"
    for i in "${!ACTIONS[@]}"; do
      name=${ACTIONS[$i]}
      for rt in "${RUNTIMES[@]}"; do
        [ "${RESULT[$name,$rt]}" = FAIL ] || continue
        out=$WORK/out/$((i + 1)).$rt
        echo "--- $name with $rt failed; its trace (last 25 lines):"
        tail -n 25 "$out" | cut -c1-600 | sed 's/^/    /'
        if [ -s "$out.calls" ]; then
          echo "--- the $rt calls it made (last 30 lines):"
          tail -n 30 "$out.calls" | cut -c1-600 | sed 's/^/    /'
        fi
      done
    done
    echo
    printf '| %-30s | %-5s | %-10s |\n' "$LANE action" vcrun crun
    printf '|%s|%s|%s|\n' -------------------------------- ------- ------------
    for name in "${ACTIONS[@]}"; do
      v=${RESULT[$name,vcrun]} c=${RESULT[$name,crun]}
      if [ "$c" = FAIL ]; then
        c="FAIL (env)"
        envfail+=("$name")
      elif [ "$v" = FAIL ]; then
        regress+=("$name")
      fi
      printf '| %-30s | %-5s | %-10s |\n' "$name" "$v" "$c"
    done
    echo
    if ((${#envfail[@]})); then
      echo "$LANE: crun failed too (a test-environment problem, not a vcrun pass): ${envfail[*]}"
    fi
    if ((${#regress[@]})); then
      echo "$LANE: FAIL: passes with crun, fails with vcrun: ${regress[*]}"
    else
      echo "$LANE: every action that passes with crun passes with vcrun"
    fi
  } | tee "$WORK/report.txt"
  if [ -n "${VCRUN_CLIENTS_REPORT_DIR:-}" ]; then
    local to=$VCRUN_CLIENTS_REPORT_DIR/$LANE-$(uname -r)
    mkdir -p "$VCRUN_CLIENTS_REPORT_DIR" && rm -rf "$to-calls" &&
      cp "$WORK/report.txt" "$to.txt" && cp -r "$WORK/calls" "$to-calls"
  fi
  # The block above ran in a pipeline's subshell: its status variable stays there.
  ! grep -q "^$LANE: FAIL: passes with crun" "$WORK/report.txt"
}

# Builds the busybox image's root filesystem tarball at $1 (Debian's busybox-static).
clients_busybox_tar() {
  local r=$WORK/rootfs applet
  mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,root,home}
  cp /bin/busybox "$r/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  # /dev/fuse's numbers outside /dev, for the device cgroup checks (no CAP_MKNOD needed).
  mknod "$r/fuse" c 10 229
  tar -C "$r" -cf "$1" .
}

# The first line of CapEff in a container's /proc/self/status as printed by `grep`.
# CAP_SYS_ADMIN is bit 21.
has_sys_admin() { local hex=${1##*:}; hex=${hex//[[:space:]]/}; (((0x$hex >> 21) & 1)); }
