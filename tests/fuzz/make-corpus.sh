#!/usr/bin/env bash
# Regenerates the seed corpus (tests/fuzz/corpus/) from `vcrun spec` output and variations
# of it, valid and invalid: make-corpus.sh [VCRUN]. The files are checked in; rerun this
# after the spec format grows and commit the result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
vcrun=${1:-$here/../../build/vcrun}
out=$here/corpus
rm -rf "$out"
mkdir -p "$out"
runc=$("$vcrun" spec --stdout)
rootless=$("$vcrun" spec --rootless --stdout)
secure=$("$vcrun" spec --secure --stdout)
n=0
emit() {  # emit NAME BASE-JSON JQ-FILTER
  n=$((n + 1))
  jq -c "$3" <<<"$2" >"$out/$(printf '%02d' "$n")-$1.json"
}
raw() {  # raw NAME TEXT (not necessarily JSON)
  n=$((n + 1))
  printf '%s' "$2" >"$out/$(printf '%02d' "$n")-$1.json"
}
emit runc "$runc" .
emit rootless "$rootless" .
emit secure "$secure" .
emit minimal "$runc" '{ociVersion, process: {args: ["sh"], cwd: "/", user: {uid: 0, gid: 0}}, root: {path: "rootfs"}}'
emit cgroups-path "$secure" '.linux.cgroupsPath = "/vcrun-fuzz/box"'
emit cgroups-path-dotdot "$secure" '.linux.cgroupsPath = "/a/../b"'
emit cgroups-path-systemd "$secure" '.linux.cgroupsPath = "system.slice:vcrun:box"'
emit resources "$secure" '.linux.resources = {memory: {limit: 268435456, reservation: 1048576, swap: 536870912, swappiness: 10}, cpu: {shares: 1024, quota: 50000, period: 100000, cpus: "0-1", mems: "0"}, pids: {limit: 64}, blockIO: {weight: 100, weightDevice: [{major: 8, minor: 0, weight: 200}], throttleReadBpsDevice: [{major: 8, minor: 0, rate: 1048576}]}, hugepageLimits: [{pageSize: "2MB", limit: 0}], unified: {"memory.high": "max"}, devices: [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]}'
emit resources-negative "$secure" '.linux.resources = {memory: {limit: -2}, cpu: {shares: 1, quota: -5, period: 0}, pids: {limit: 0}}'
emit hooks "$secure" '.hooks = {prestart: [{path: "/bin/true"}], createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "exit 0"], env: ["A=b"], timeout: 5}], poststop: [{path: "/bin/false", timeout: 1}]}'
emit hooks-relative "$secure" '.hooks = {startContainer: [{path: "true", timeout: 0}]}'
emit namespaces-paths "$secure" '.linux.namespaces = [{type: "pid"}, {type: "network", path: "/proc/1/ns/net"}, {type: "mount"}, {type: "ipc", path: "/tmp/fifo"}, {type: "uts"}, {type: "time"}]'
emit namespaces-dup "$secure" '.linux.namespaces += [{type: "pid"}, {type: "bogus"}]'
emit userns "$rootless" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}, {containerID: 65536, hostID: 0, size: 1}] | .linux.gidMappings = [{containerID: 0, hostID: 4294967295, size: 4294967295}]'
emit user-ids "$secure" '.process.user = {uid: 4294967295, gid: 65534, umask: 18, additionalGids: [1, 2, 4294967296]}'
emit user-negative "$secure" '.process.user = {uid: -1, gid: "0"}'
emit rlimits "$secure" '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 1024, hard: 512}, {type: "RLIMIT_BOGUS", soft: 1, hard: 1}, {type: "rlimit_core", soft: 18446744073709551615, hard: 18446744073709551615}]'
emit capabilities "$secure" '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_NOPE"], effective: ["cap_kill"], ambient: ["CAP_SYS_ADMIN"]}'
emit seccomp "$runc" '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], flags: ["SECCOMP_FILTER_FLAG_LOG"], syscalls: [{names: ["read", "write", "nosuchcall"], action: "SCMP_ACT_ALLOW"}, {names: ["personality"], action: "SCMP_ACT_ALLOW", args: [{index: 0, value: 0, valueTwo: 0, op: "SCMP_CMP_EQ"}, {index: 7, value: 1, op: "SCMP_CMP_MASKED_EQ"}]}]}'
emit seccomp-notify "$runc" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock", listenerMetadata: "x", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}'
emit mounts "$secure" '.mounts += [{destination: "/data", type: "bind", source: "data", options: ["rbind", "ro", "nosuid"]}, {destination: "relative", type: "tmpfs", source: "tmpfs", options: ["size=1k", "mode=1777"]}, {destination: "/x", options: ["bind", "idmap", "rprivate"]}]'
emit devices "$secure" '.linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0}, {path: "dev/bad", type: "x", major: -1, minor: 1}]'
emit sysctl "$secure" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1", "vm.nope": "1"}'
emit masked "$secure" '.linux.maskedPaths += ["relative/path", ""] | .linux.readonlyPaths += ["/proc/sys"]'
emit propagation "$secure" '.linux.rootfsPropagation = "rslave" | .root.readonly = true | .linux.mountLabel = "x"'
emit vcrun-ext "$secure" '.vcrun = {cpu: {reservation: 0.25, share: 2}, memory: {high: 1073741824, min: 268435456}, init: true, seccomp: "default"}'
emit vcrun-ext-bad "$secure" '.vcrun = {cpu: {reservation: 1.5, share: -1}, memory: {high: "1G"}, init: "yes", seccomp: "strict", extra: null}'
emit console "$runc" '.process.consoleSize = {height: 24, width: 80} | .process.oomScoreAdj = -1000 | .process.noNewPrivileges = true'
emit oom-range "$runc" '.process.oomScoreAdj = 99999999999'
emit wrong-types "$runc" '.process.args = "sh" | .process.env = {A: 1} | .hostname = 5 | .mounts = {} | .annotations = {a: 1}'
emit null-fields "$runc" '.process = null | .root = null | .linux = null'
emit empty-args "$runc" '.process.args = [] | .process.cwd = "relative"'
emit version-old "$runc" '.ociVersion = "0.9.0"'
emit version-bad "$runc" '.ociVersion = "1.2.3-rc.1+meta"'
emit root-missing "$runc" 'del(.root)'
emit root-empty "$runc" '.root.path = ""'
emit env-bad "$runc" '.process.env = ["NOEQUALS", "=x", "A=\u0001"]'
emit annotations "$runc" '.annotations = {"org.opencontainers.image.os": "linux", "": ""}'
emit apparmor "$runc" '.process.apparmorProfile = "unconfined" | .process.selinuxLabel = 1'
emit intelrdt "$runc" '.linux.intelRdt = {closID: "x"} | .linux.personality = {domain: "LINUX32"}'
# Error messages echo offending values: a long one and one with a newline (the strict
# message check, README.md).
emit long-value "$runc" '.ociVersion = ("9" * 5000)'
emit newline-value "$secure" '.linux.namespaces += [{type: "net\nwork"}]'
raw not-object '["ociVersion", "1.2.0"]'
raw truncated '{"ociVersion": "1.2.0", "process": {"args": ["sh"'
raw overflow '{"ociVersion":"1.2.0","process":{"args":["sh"],"cwd":"/","user":{"uid":1e999,"gid":0}},"root":{"path":"rootfs"}}'
raw big-int '{"ociVersion":"1.2.0","process":{"args":["sh"],"cwd":"/","user":{"uid":123456789012345678901234567890,"gid":0}},"root":{"path":"rootfs"}}'
raw duplicate-keys '{"ociVersion":"1.2.0","ociVersion":1,"process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}'
raw bad-utf8 $'{"ociVersion":"1.2.0","hostname":"\xff\xfe","process":{"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"rootfs"}}'
raw escapes '{"ociVersion":"1.2.0","hostname":"a\nb\u0000c","process":{"args":["s\th"],"cwd":"/","user":{"uid":0,"gid":0}},"root":{"path":"root\\nfs"}}'
raw empty ''
emit bind-allow "$secure" '.vcrun.network.bindAllow = ["10.0.0.5", "fd00::5", "::ffff:192.0.2.1"]'
echo "$n files in $out"
