// Unit tests for serialize_spec: parse(serialize(spec)) == spec for a spec with every field
// set, for the `vcrun spec` templates and for a config.json holding every key the parser reads.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/spec/json.hpp"
#include "runtime/spec/serialize.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

// Every member the parser reads, each with a value that is not its default, written the way
// serialize_spec writes it (absolute paths, upper-case capabilities, "type": "bind", idle as
// 0/1, SCMP_ACT_KILL for kill_thread, no empty lists), so that serialising its parse gives
// this document back.
const char* kMaximalConfig = R"json({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 40, "width": 120},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 10]},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "HOME=/root", "EMPTY="],
    "cwd": "/work",
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_CHOWN"],
      "inheritable": ["CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "noNewPrivileges": true,
    "oomScoreAdj": -500,
    "apparmorProfile": "vcrun-profile",
    "selinuxLabel": "system_u:system_r:container_t:s0"
  },
  "root": {"path": "/bundles/max/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec"]},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"]},
    {"destination": "/run"}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/old-hook", "args": ["old-hook"], "env": ["P=1"], "timeout": 1}],
    "createRuntime": [{"path": "/usr/bin/net-setup", "args": ["net-setup", "up"],
                       "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/bin/cc", "args": ["cc"], "env": ["C=1"], "timeout": 2}],
    "startContainer": [{"path": "/bin/sc", "args": ["sc"], "env": ["S=1"], "timeout": 3}],
    "poststart": [{"path": "/bin/ps1"}, {"path": "/bin/ps2", "args": ["ps2", "-v"],
                                         "env": ["Q=1", "R=2"], "timeout": 4}],
    "poststop": [{"path": "/bin/cleanup", "args": ["cleanup"], "env": ["Z="], "timeout": 30}]
  },
  "annotations": {"org.opencontainers.image.ref.name": "busybox", "x": ""},
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts", "path": "/proc/1/ns/uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000},
                    {"containerID": 1000, "hostID": 1000, "size": 1}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536"},
    "resources": {
      "devices": [{"allow": false, "type": "a", "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "kernel": -1, "kernelTCP": 1048576, "swappiness": 60,
                 "disableOOMKiller": true, "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-1,3",
              "mems": "0", "idle": 1},
      "pids": {"limit": 128},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 700, "leafWeight": 20}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 200}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "unified": {"memory.oom.group": "1", "io.latency": "8:0 target=60"}
    },
    "cgroupsPath": "/vcrun/max",
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                 "fileMode": 438, "uid": 1000, "gid": 1001},
                {"path": "/dev/myfifo", "type": "p"}],
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
        {"names": ["ptrace"], "action": "SCMP_ACT_KILL"},
        {"names": ["bpf"], "action": "SCMP_ACT_NOTIFY"}
      ],
      "listenerPath": "/run/seccomp-agent.sock",
      "listenerMetadata": "agent-meta"
    },
    "rootfsPropagation": "rslave",
    "mountLabel": "system_u:object_r:container_file_t:s0"
  },
  "vcrun": {"cpu": {"reservation": 0.25, "share": 2.5}, "memory": {"high": 400000000, "min": 1000},
            "init": true, "seccomp": "default",
            "network": {"bindAllow": ["10.0.0.1", "fd00::1"], "mode": "bridge", "ip": "10.9.0.7",
                        "bridge": "br9", "subnet": "10.9.0.0/24", "rate": "10mbit", "ceil": "1500mbit",
                        "share": 2, "egress": "eth0", "linkRate": "10gbit",
                        "publish": ["8080:80"]},
            "lowers": ["/layers/base", "/layers/app"], "upper": "/bundles/max/vcrun-upper/max"}
})json";

// The paths of every object member the parser asks for while parsing `text`, with array
// indices dropped ("linux.namespaces[].path"), each mapped to whether any occurrence had it.
std::map<std::string, bool> keys_read(const std::string& text) {
  std::vector<spec_detail::KeyAccess> log;
  struct Recording {
    std::vector<spec_detail::KeyAccess>* previous;
    ~Recording() { spec_detail::record_key_accesses(previous); }
  } recording{spec_detail::record_key_accesses(&log)};
  parse_spec(text, "/bundles/max");
  std::map<std::string, bool> keys;
  for (const auto& access : log) {
    std::string path;
    for (size_t i = 0; i < access.path.size(); ++i) {
      path += access.path[i];
      if (access.path[i] == '[') {
        while (i + 1 < access.path.size() && access.path[i + 1] != ']') ++i;
      }
    }
    keys[path] = keys[path] || access.present;
  }
  return keys;
}

std::vector<std::string> missing_keys(const std::string& text) {
  std::vector<std::string> missing;
  for (const auto& [path, present] : keys_read(text))
    if (!present) missing.push_back(path);
  return missing;
}

ContainerSpec round_trip(const ContainerSpec& spec) {
  // Every path in a parsed spec is absolute: the bundle must not matter.
  return parse_spec(serialize_spec(spec).dump(2), "/elsewhere");
}

// parse(serialize(spec)) == spec with the members' defaulted operator==, so a member the
// serialiser leaves out is caught even when nobody lists it here.
void check_round_trip(const ContainerSpec& spec) {
  ContainerSpec back = round_trip(spec);
  INFO("JSON diff (serialize(spec) -> serialize(parse(serialize(spec)))): "
       << json::diff(serialize_spec(spec), serialize_spec(back)).dump()
       << "\n(an empty diff with unequal specs: a member serialize_spec does not write)");
  CHECK(back.process == spec.process);
  CHECK(back.root == spec.root);
  CHECK(back.mounts == spec.mounts);
  CHECK(back.hooks == spec.hooks);
  CHECK(back.linux.resources == spec.linux.resources);
  CHECK(back.linux.seccomp == spec.linux.seccomp);
  CHECK(back.linux == spec.linux);
  CHECK(back.vcrun == spec.vcrun);
  CHECK(back == spec);
}

// A spec built in code with every member set to something other than its default; the
// test below proves it by serialising it and finding every key the parser reads.
ContainerSpec maximal_spec() {
  ContainerSpec s;
  s.oci_version = "1.1.0";
  Process& p = s.process;
  p.terminal = true;
  p.console_size = ConsoleSize{24, 80};
  p.args = {"/bin/busybox", "sh"};
  p.env = {"A=1", "B="};
  p.cwd = "/home/u";
  p.user = User{1, 2, 022, {3, 4}};
  p.rlimits = {Rlimit{RLIMIT_NPROC, "RLIMIT_NPROC", 10, 20}};
  p.capabilities =
      Capabilities{{"CAP_KILL"}, {"CAP_KILL"}, {"CAP_CHOWN"}, {"CAP_KILL"}, {"CAP_CHOWN"}};
  p.no_new_privileges = true;
  p.oom_score_adj = 1000;
  p.apparmor_profile = "profile";
  p.selinux_label = "label";
  s.root = Root{"/r", true};
  s.hostname = "h";
  s.domainname = "d";
  s.mounts = {Mount{"/m", "bind", "/src", {"bind", "ro"}},
              Mount{"/t", "tmpfs", "tmpfs", {"size=1m"}}};
  Hook hook{"/hook", {"hook", "arg"}, {"E=1"}, 7};
  s.hooks = Hooks{{hook}, {hook}, {hook}, {hook}, {hook}, {hook}};
  s.annotations = {{"a", "b"}};

  Linux& l = s.linux;
  l.namespaces = {{NamespaceType::mount, ""},  {NamespaceType::pid, "/proc/1/ns/pid"},
                  {NamespaceType::user, ""},   {NamespaceType::network, ""},
                  {NamespaceType::ipc, ""},    {NamespaceType::uts, ""},
                  {NamespaceType::cgroup, ""}, {NamespaceType::time, ""}};
  l.uid_mappings = {{0, 1000, 1}};
  l.gid_mappings = {{0, 2000, 1}, {1, 3000, 2}};
  l.sysctl = {{"net.core.somaxconn", "1024"}};
  Resources r;
  r.devices = {DeviceRule{true, 'b', 8, 1, "r"}, DeviceRule{false, 'a', -1, -1, ""}};
  r.memory = MemoryResources{1 << 30, 1 << 20, -1, 0, 4096, 10, false, false, false};
  r.cpu = CpuResources{2, 20000, 5000, 50000, 1000, 100000, "0", "0-1", false};
  r.pids_limit = -1;
  r.block_io = BlockIoResources{10,
                                1000,
                                {WeightDevice{7, 1, 100, 200}},
                                {ThrottleDevice{7, 2, 3}},
                                {ThrottleDevice{7, 3, 4}},
                                {ThrottleDevice{7, 4, 5}},
                                {ThrottleDevice{7, 5, 6}}};
  r.hugepage_limits = {HugepageLimit{"1GB", 1 << 30}};
  r.unified = {{"cpu.weight", "100"}};
  l.resources = r;
  l.cgroups_path = "a/b";
  l.devices = {DeviceNode{"/dev/x", 'b', 7, 0, 0660, 5, 6},
               DeviceNode{"/dev/p", 'p', 0, 0, {}, {}, {}}};
  l.masked_paths = {"/proc/x"};
  l.readonly_paths = {"/proc/y"};
  Seccomp sc;
  sc.default_action = SeccompAction::trace;
  sc.default_errno_ret = 5;
  sc.architectures = {"SCMP_ARCH_AARCH64"};
  sc.flags = {"SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  // One rule per action and one argument per operator: every name the serialiser writes.
  const SeccompAction actions[] = {SeccompAction::kill_thread, SeccompAction::kill_process,
                                   SeccompAction::trap,        SeccompAction::errno_ret,
                                   SeccompAction::trace,       SeccompAction::allow,
                                   SeccompAction::log,         SeccompAction::notify};
  for (SeccompAction a : actions) sc.syscalls.push_back(SeccompRule{{"getpid"}, a, {}, {}});
  sc.syscalls[3].errno_ret = 13;
  const SeccompOp ops[] = {SeccompOp::ne, SeccompOp::lt, SeccompOp::le,       SeccompOp::eq,
                           SeccompOp::ge, SeccompOp::gt, SeccompOp::masked_eq};
  unsigned index = 0;
  for (SeccompOp op : ops) sc.syscalls[0].args.push_back(SeccompArg{index++ % 6, 9, 3, op});
  sc.listener_path = "/run/agent";
  sc.listener_metadata = "m";
  l.seccomp = sc;
  l.rootfs_propagation = "private";
  l.mount_label = "ml";

  s.vcrun = VcrunExtensions{0.5, 0.0, 1 << 20, 1 << 10, true, true, parse_bind_allow({"10.1.2.3"}, "test"),
                            [] {
                              NetworkSpec n;
                              n.mode = NetworkMode::bridge;
                              n.ip = parse_ipv4("10.1.2.3");
                              n.bridge = "br1";
                              n.subnet = parse_ipv4_net("10.1.0.0/16");
                              n.rate = 10000000;
                              n.ceil = 1500000000;
                              n.share = 2.5;
                              n.egress = "eth1";
                              n.link_rate = 10000000000;
                              n.publish = {parse_published("8080:80", "test"), parse_published("192.0.2.7:5353:53/udp", "test")};
                              return n;
                            }(),
                            {"/l/base", "/l/app"}, "/u"};
  return s;
}

}  // namespace

// Why a field the parser reads cannot be left out of the serialiser unnoticed: the parser
// itself reports every object member it asks for (record_key_accesses, hooked into
// Node::get, through which every key read goes), so the list of keys is never written by
// hand; this test fails, naming the key, until kMaximalConfig holds it, and the next one
// fails, with the JSON diff, until serialize_spec writes it back.
TEST_CASE("the maximal config.json holds every key the parser reads", "[unit]") {
  auto keys = keys_read(kMaximalConfig);
  CHECK(keys.size() > 100);  // the recording works (it saw the whole document)
  CHECK(keys.count("linux.seccomp.syscalls[].args[].valueTwo") == 1);
  CHECK(missing_keys(kMaximalConfig) == std::vector<std::string>{});
}

TEST_CASE("serializing the maximal config.json's spec gives the document back", "[unit]") {
  json input = json::parse(kMaximalConfig);
  ContainerSpec spec = parse_spec(kMaximalConfig, "/bundles/max");
  json output = serialize_spec(spec);
  INFO("diff input -> output: " << json::diff(input, output).dump(2));
  CHECK(output == input);
  check_round_trip(spec);
}

TEST_CASE("a spec with every member set survives serialize and parse", "[unit]") {
  ContainerSpec spec = maximal_spec();
  validate_spec(spec);
  // Every key the parser reads is in its serialisation: no member was left at its default.
  CHECK(missing_keys(serialize_spec(spec).dump()) == std::vector<std::string>{});
  check_round_trip(spec);
}

TEST_CASE("the vcrun spec templates survive serialize and parse", "[unit]") {
  for (const std::string& text :
       {default_spec_json(), runc_spec_json(false), runc_spec_json(true)}) {
    ContainerSpec spec = parse_spec(text, "/bundles/t");
    check_round_trip(spec);
    // What the serialiser leaves out of a template is only what the parser reads as absent.
    json in = json::parse(text), out = serialize_spec(spec);
    CHECK(out["root"]["path"] == "/bundles/t/rootfs");
    out["root"]["path"] = in["root"]["path"];
    for (const auto& op : json::diff(in, out)) {
      INFO(op.dump());
      CHECK(op["op"] != "remove");
    }
  }
}

TEST_CASE("unset optionals and empty lists stay absent", "[unit]") {
  ContainerSpec spec = parse_spec(default_spec_json(), "/b");
  spec.vcrun = {};
  spec.process.capabilities.reset();
  spec.process.rlimits.clear();
  spec.process.env.clear();
  spec.mounts.clear();
  spec.hostname.clear();
  spec.linux.masked_paths.clear();
  spec.linux.readonly_paths.clear();
  json j = serialize_spec(spec);
  CHECK(j == json::parse(R"({
    "ociVersion": "1.2.0",
    "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/",
                "noNewPrivileges": true},
    "root": {"path": "/b/rootfs", "readonly": true},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                             {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}]}
  })"));
  check_round_trip(spec);
}
