// Unit tests for config.json parsing: a full realistic config, the default spec, path
// resolution against the bundle, ignored unknown fields, load_spec and the extension object.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

// Shaped like what podman/containerd generate, with every field vcrun reads.
const char* kFullConfig = R"json({
  "ociVersion": "1.1.0",
  "process": {
    "terminal": true,
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 10]},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "HOME=/root", "EMPTY="],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "cap_kill"],
      "effective": ["CAP_CHOWN"],
      "inheritable": [],
      "permitted": ["CAP_CHOWN", "CAP_KILL"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "oomScoreAdj": -500,
    "apparmorProfile": "ignored-by-vcrun",
    "consoleSize": {"height": 24, "width": 80}
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "source": "data/dir", "options": ["rbind", "ro"]},
    {"destination": "/abs", "type": "none", "source": "/srv/x/../y", "options": ["bind"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=64m"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/old-hook"}],
    "createRuntime": [{"path": "/usr/bin/net-setup", "args": ["net-setup", "up"],
                       "env": ["A=1"], "timeout": 5}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps1"}, {"path": "/bin/ps2"}],
    "poststop": [{"path": "/bin/cleanup", "timeout": 30}]
  },
  "annotations": {"org.opencontainers.image.ref.name": "busybox", "x": ""},
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/ctr"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1000},
                    {"containerID": 1000, "hostID": 1000, "size": 1}],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "65536", "fs.mqueue.msg_max": "20"},
    "resources": {
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "kernel": -1, "kernelTCP": 1048576, "swappiness": 60,
                 "disableOOMKiller": false, "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-1,3",
              "mems": "0", "idle": 1},
      "pids": {"limit": 128},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 700}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 200}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "unified": {"memory.oom.group": "1", "io.latency": "8:0 target=60"},
      "network": {"classID": 1048577}
    },
    "cgroupsPath": "/vcrun/ctr1",
    "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                 "fileMode": 438, "uid": 0, "gid": 0},
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
        {"names": ["kexec_load"], "action": "SCMP_ACT_KILL_PROCESS"}
      ]
    },
    "rootfsPropagation": "rslave",
    "mountLabel": "ignored"
  },
  "vcrun": {"cpu": {"reservation": 0.25, "share": 2}, "memory": {"high": 400000000, "min": 1000},
            "init": true},
  "someFutureField": {"nested": [1, 2, 3]}
})json";

}  // namespace

TEST_CASE("a full realistic config.json parses with every field", "[unit]") {
  ContainerSpec s = parse_spec(kFullConfig, "/bundles/c1");
  CHECK(s.oci_version == "1.1.0");

  const Process& p = s.process;
  CHECK(p.terminal);
  CHECK(p.user.uid == 1000);
  CHECK(p.user.gid == 1001);
  CHECK(p.user.umask == 18u);
  CHECK(p.user.additional_gids == std::vector<uint32_t>{5, 10});
  CHECK(p.args == std::vector<std::string>{"/bin/sh", "-c", "echo hi"});
  CHECK(p.env == std::vector<std::string>{"PATH=/usr/bin:/bin", "HOME=/root", "EMPTY="});
  CHECK(p.cwd == "/work");
  REQUIRE(p.capabilities);
  CHECK(p.capabilities->bounding == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
  CHECK(p.capabilities->effective == std::vector<std::string>{"CAP_CHOWN"});
  CHECK(p.capabilities->inheritable.empty());
  CHECK(p.capabilities->permitted == std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"});
  CHECK(p.capabilities->ambient == std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  REQUIRE(p.rlimits.size() == 2);
  CHECK(p.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(p.rlimits[0].name == "RLIMIT_NOFILE");
  CHECK(p.rlimits[0].soft == 1024);
  CHECK(p.rlimits[0].hard == 4096);
  CHECK(p.rlimits[1].resource == RLIMIT_CORE);
  CHECK(p.rlimits[1].hard == UINT64_MAX);
  CHECK(p.no_new_privileges);
  CHECK(p.oom_score_adj == -500);

  CHECK(s.root.path == "/bundles/c1/rootfs");
  CHECK(s.root.readonly);
  CHECK(s.hostname == "box");
  CHECK(s.domainname == "example.org");

  REQUIRE(s.mounts.size() == 4);
  CHECK(s.mounts[0].destination == "/proc");
  CHECK(s.mounts[0].type == "proc");
  CHECK(s.mounts[0].source == "proc");  // not a bind: a label, left alone
  CHECK(s.mounts[0].options.empty());
  CHECK(s.mounts[1].type == "bind");
  CHECK(s.mounts[1].source == "/bundles/c1/data/dir");
  CHECK(s.mounts[1].options == std::vector<std::string>{"rbind", "ro"});
  CHECK(s.mounts[2].type == "bind");
  CHECK(s.mounts[2].source == "/srv/y");
  CHECK(s.mounts[3].type == "tmpfs");
  CHECK(s.mounts[3].options == std::vector<std::string>{"nosuid", "size=64m"});

  const Hooks& h = s.hooks;
  REQUIRE(h.prestart.size() == 1);
  CHECK(h.prestart[0].path == "/usr/bin/old-hook");
  CHECK_FALSE(h.prestart[0].timeout);
  REQUIRE(h.create_runtime.size() == 1);
  CHECK(h.create_runtime[0].args == std::vector<std::string>{"net-setup", "up"});
  CHECK(h.create_runtime[0].env == std::vector<std::string>{"A=1"});
  CHECK(h.create_runtime[0].timeout == 5);
  CHECK(h.create_container.size() == 1);
  CHECK(h.start_container.size() == 1);
  CHECK(h.poststart.size() == 2);
  REQUIRE(h.poststop.size() == 1);
  CHECK(h.poststop[0].timeout == 30);
  CHECK(s.annotations.at("org.opencontainers.image.ref.name") == "busybox");
  CHECK(s.annotations.at("x").empty());

  const Linux& l = s.linux;
  REQUIRE(l.namespaces.size() == 8);
  CHECK(l.namespaces[1].type == NamespaceType::network);
  CHECK(l.namespaces[1].path == "/var/run/netns/ctr");
  CHECK(l.namespaces[7].type == NamespaceType::time);
  CHECK(s.has_namespace(NamespaceType::user));
  REQUIRE(l.uid_mappings.size() == 1);
  CHECK(l.uid_mappings[0].host_id == 100000);
  CHECK(l.uid_mappings[0].size == 65536);
  REQUIRE(l.gid_mappings.size() == 2);
  CHECK(l.gid_mappings[1].container_id == 1000);
  CHECK(l.sysctl.at("net.ipv4.ip_forward") == "1");
  CHECK(l.sysctl.size() == 3);

  REQUIRE(l.resources);
  const Resources& r = *l.resources;
  REQUIRE(r.devices.size() == 2);
  CHECK_FALSE(r.devices[0].allow);
  CHECK(r.devices[0].type == 'a');
  CHECK(r.devices[0].major == -1);
  CHECK(r.devices[1].allow);
  CHECK(r.devices[1].type == 'c');
  CHECK(r.devices[1].major == 1);
  CHECK(r.devices[1].minor == 3);
  CHECK(r.devices[1].access == "rw");
  REQUIRE(r.memory);
  CHECK(r.memory->limit == 536870912);
  CHECK(r.memory->reservation == 268435456);
  CHECK(r.memory->swap == 1073741824);
  CHECK(r.memory->kernel == -1);
  CHECK(r.memory->kernel_tcp == 1048576);
  CHECK(r.memory->swappiness == 60u);
  CHECK(r.memory->disable_oom_killer == false);
  CHECK(r.memory->use_hierarchy == true);
  CHECK(r.memory->check_before_update == true);
  REQUIRE(r.cpu);
  CHECK(r.cpu->shares == 1024u);
  CHECK(r.cpu->quota == 50000);
  CHECK(r.cpu->burst == 10000u);
  CHECK(r.cpu->period == 100000u);
  CHECK(r.cpu->realtime_runtime == 950000);
  CHECK(r.cpu->realtime_period == 1000000u);
  CHECK(r.cpu->cpus == "0-1,3");
  CHECK(r.cpu->mems == "0");
  CHECK(r.cpu->idle == true);
  CHECK(r.pids_limit == 128);
  REQUIRE(r.block_io);
  CHECK(r.block_io->weight == 500);
  CHECK(r.block_io->leaf_weight == 300);
  REQUIRE(r.block_io->weight_device.size() == 1);
  CHECK(r.block_io->weight_device[0].major == 8);
  CHECK(r.block_io->weight_device[0].weight == 700);
  CHECK_FALSE(r.block_io->weight_device[0].leaf_weight);
  REQUIRE(r.block_io->throttle_read_bps.size() == 1);
  CHECK(r.block_io->throttle_read_bps[0].rate == 1048576);
  REQUIRE(r.block_io->throttle_write_bps.size() == 1);
  CHECK(r.block_io->throttle_write_bps[0].minor == 16);
  CHECK(r.block_io->throttle_read_iops.at(0).rate == 100);
  CHECK(r.block_io->throttle_write_iops.at(0).rate == 200);
  REQUIRE(r.hugepage_limits.size() == 1);
  CHECK(r.hugepage_limits[0].page_size == "2MB");
  CHECK(r.hugepage_limits[0].limit == 209715200);
  CHECK(r.unified.at("io.latency") == "8:0 target=60");

  CHECK(l.cgroups_path == "/vcrun/ctr1");
  REQUIRE(l.devices.size() == 2);
  CHECK(l.devices[0].path == "/dev/fuse");
  CHECK(l.devices[0].type == 'c');
  CHECK(l.devices[0].major == 10);
  CHECK(l.devices[0].minor == 229);
  CHECK(l.devices[0].file_mode == 0666u);
  CHECK(l.devices[0].uid == 0u);
  CHECK(l.devices[1].type == 'p');
  CHECK_FALSE(l.devices[1].file_mode);
  CHECK(l.masked_paths == std::vector<std::string>{"/proc/kcore"});
  CHECK(l.readonly_paths == std::vector<std::string>{"/proc/sys"});

  REQUIRE(l.seccomp);
  const Seccomp& sc = *l.seccomp;
  CHECK(sc.default_action == SeccompAction::errno_ret);
  CHECK(sc.default_errno_ret == 1u);
  CHECK(sc.architectures == std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"});
  CHECK(sc.flags == std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  REQUIRE(sc.syscalls.size() == 5);
  CHECK(sc.syscalls[0].names == std::vector<std::string>{"read", "write"});
  CHECK(sc.syscalls[0].action == SeccompAction::allow);
  REQUIRE(sc.syscalls[1].args.size() == 2);
  CHECK(sc.syscalls[1].args[0].op == SeccompOp::eq);
  CHECK(sc.syscalls[1].args[0].value == 8);
  CHECK(sc.syscalls[1].args[1].index == 1);
  CHECK(sc.syscalls[1].args[1].value_two == 4);
  CHECK(sc.syscalls[1].args[1].op == SeccompOp::masked_eq);
  CHECK(sc.syscalls[2].errno_ret == 38u);
  CHECK(sc.syscalls[3].action == SeccompAction::kill_thread);
  CHECK(sc.syscalls[4].action == SeccompAction::kill_process);
  CHECK(l.rootfs_propagation == "rslave");

  CHECK(s.vcrun.cpu_reservation == Approx(0.25));
  CHECK(s.vcrun.cpu_share == Approx(2.0));
  CHECK(s.vcrun.memory_high == 400000000);
  CHECK(s.vcrun.memory_min == 1000);
  CHECK(s.vcrun.init);
}

TEST_CASE("the default spec parses and has the documented content", "[unit]") {
  std::string text = default_spec_json();
  json j = json::parse(text);
  CHECK(j["ociVersion"] == "1.2.0");
  CHECK_FALSE(j["linux"].contains("seccomp"));

  ContainerSpec s = parse_spec(text, "/b");
  CHECK(s.process.args == std::vector<std::string>{"sh"});
  CHECK_FALSE(s.process.terminal);
  CHECK(s.process.cwd == "/");
  CHECK(s.process.user.uid == 0);
  CHECK(s.process.no_new_privileges);
  REQUIRE(s.process.rlimits.size() == 1);
  CHECK(s.process.rlimits[0].resource == RLIMIT_NOFILE);
  CHECK(s.process.rlimits[0].soft == 1024);
  REQUIRE(s.process.capabilities);
  CHECK(s.process.capabilities->bounding.size() == 14);
  CHECK(s.process.capabilities->effective == s.process.capabilities->bounding);
  CHECK(s.process.capabilities->permitted == s.process.capabilities->bounding);
  CHECK(s.process.capabilities->inheritable.empty());
  CHECK(s.process.capabilities->ambient.empty());
  CHECK(s.root.path == "/b/rootfs");
  CHECK(s.root.readonly);
  CHECK(s.hostname == "vcrun");
  REQUIRE(s.mounts.size() == 7);
  CHECK(s.mounts[6].destination == "/sys/fs/cgroup");
  CHECK(s.mounts[6].type == "cgroup2");
  for (auto t : {NamespaceType::pid, NamespaceType::network, NamespaceType::ipc,
                 NamespaceType::uts, NamespaceType::mount, NamespaceType::cgroup})
    CHECK(s.has_namespace(t));
  CHECK_FALSE(s.has_namespace(NamespaceType::user));
  CHECK(s.linux.masked_paths.size() == 11);
  CHECK(s.linux.readonly_paths.size() == 5);
  CHECK_FALSE(s.linux.seccomp);
  // Printing is deterministic: `vcrun spec` twice gives the same file.
  CHECK(default_spec_json() == text);
}

TEST_CASE("unknown fields are ignored at every level and null means absent", "[unit]") {
  json j = json::parse(default_spec_json());
  j["x-top"] = {{"a", 1}};
  j["process"]["x-proc"] = "whatever";
  j["process"]["user"]["username"] = "root";
  j["linux"]["x-linux"] = json::array({1, 2});
  j["linux"]["namespaces"][0]["x"] = true;
  j["mounts"][0]["uidMappings"] = json::array();
  j["process"]["env"] = nullptr;  // Go tools emit null for empty slices
  ContainerSpec s = parse_spec(j.dump(), "/b");
  CHECK(s.process.env.empty());
  CHECK(s.linux.namespaces.size() == 6);
}

TEST_CASE("relative paths are resolved lexically against the bundle", "[unit]") {
  json j = json::parse(default_spec_json());
  j["root"]["path"] = "./images/../rootfs/";
  j["mounts"] = json::array({
      {{"destination", "/a"}, {"type", "bind"}, {"source", "shared"}},
      {{"destination", "/b"}, {"source", "../outside"}, {"options", {"rbind"}}},
      {{"destination", "/c"}, {"type", "tmpfs"}, {"source", "relative-label"}},
  });
  ContainerSpec s = parse_spec(j.dump(), "/srv/bundle/");
  CHECK(s.root.path == "/srv/bundle/rootfs");
  CHECK(s.mounts[0].source == "/srv/bundle/shared");
  CHECK(s.mounts[1].type == "bind");
  CHECK(s.mounts[1].source == "/srv/outside");
  CHECK(s.mounts[2].source == "relative-label");

  j["root"]["path"] = "/absolute/root";
  CHECK(parse_spec(j.dump(), "/srv/bundle").root.path == "/absolute/root");

  // A relative bundle is made absolute against the current directory.
  j["root"]["path"] = "rootfs";
  std::string cwd = std::filesystem::current_path().string();
  CHECK(parse_spec(j.dump(), "rel").root.path == cwd + "/rel/rootfs");
}

TEST_CASE("the vcrun extension object is optional and parsed when present", "[unit]") {
  json j = json::parse(default_spec_json());
  j.erase("vcrun");
  ContainerSpec plain = parse_spec(j.dump(), "/b");
  CHECK_FALSE(plain.vcrun.cpu_reservation);
  CHECK_FALSE(plain.vcrun.cpu_share);
  CHECK_FALSE(plain.vcrun.init);

  j["vcrun"] = {{"cpu", {{"share", 0}}}, {"memory", {{"high", -1}}}, {"unknownKnob", 1}};
  ContainerSpec s = parse_spec(j.dump(), "/b");
  CHECK(s.vcrun.cpu_share == Approx(0.0));  // capped reservation intent
  CHECK_FALSE(s.vcrun.cpu_reservation);
  CHECK(s.vcrun.memory_high == -1);
  CHECK_FALSE(s.vcrun.memory_min);
  CHECK_FALSE(s.vcrun.default_seccomp);

  // The default spec selects the built-in seccomp profile by reference.
  CHECK(parse_spec(default_spec_json(), "/b").vcrun.default_seccomp);
  j["vcrun"] = {{"seccomp", "default"}};
  CHECK(parse_spec(j.dump(), "/b").vcrun.default_seccomp);
  j["vcrun"] = {{"seccomp", "strict"}};
  CHECK_THROWS_WITH(parse_spec(j.dump(), "/b"),
                    "vcrun.seccomp: must be \"default\" (the built-in profile)");
}

TEST_CASE("load_spec reads <bundle>/config.json", "[unit]") {
  char tmpl[] = "/tmp/vcrun-spec-test-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  CHECK_THROWS_WITH(load_spec(dir), "config.json: cannot read: open " + dir +
                                        "/config.json: No such file or directory");
  std::ofstream(dir + "/config.json") << default_spec_json();
  ContainerSpec s = load_spec(dir + "/");
  CHECK(s.root.path == dir + "/rootfs");
  std::filesystem::remove_all(dir);
}

TEST_CASE("namespace_name gives the OCI names", "[unit]") {
  CHECK(std::string(namespace_name(NamespaceType::pid)) == "pid");
  CHECK(std::string(namespace_name(NamespaceType::network)) == "network");
  CHECK(std::string(namespace_name(NamespaceType::mount)) == "mount");
  CHECK(std::string(namespace_name(NamespaceType::ipc)) == "ipc");
  CHECK(std::string(namespace_name(NamespaceType::uts)) == "uts");
  CHECK(std::string(namespace_name(NamespaceType::user)) == "user");
  CHECK(std::string(namespace_name(NamespaceType::cgroup)) == "cgroup");
  CHECK(std::string(namespace_name(NamespaceType::time)) == "time");
}

namespace {

// Every JSON pointer in `j` (objects and arrays included), for type-confusion sweeps.
void collect_pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) collect_pointers(v, at / k, out);
  else if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at / i, out);
}

}  // namespace

TEST_CASE("any value of any type anywhere gives a SpecError, never a crash", "[unit]") {
  const json full = json::parse(kFullConfig);
  std::vector<json::json_pointer> pointers;
  collect_pointers(full, json::json_pointer(), pointers);
  const json replacements[] = {nullptr, true, 0, -1, 1.5, "x", "", json::array(),
                               json::object(), json::array({"x"}), UINT64_MAX, INT64_MIN};
  size_t accepted = 0, rejected = 0;
  for (const auto& ptr : pointers) {
    for (const auto& r : replacements) {
      json j = full;
      j[ptr] = r;
      try {
        parse_spec(j.dump(), "/b");
        ++accepted;
      } catch (const SpecError& e) {
        ++rejected;
        std::string msg = e.what();
        INFO(ptr.to_string() << " = " << r.dump() << " -> " << msg);
        CHECK(msg.find('\n') == std::string::npos);
        CHECK(msg.find(": ") != std::string::npos);
      } catch (const std::exception& e) {
        FAIL(ptr.to_string() << " = " << r.dump() << " threw a non-SpecError: " << e.what());
      }
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}
