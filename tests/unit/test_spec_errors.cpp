// Unit tests for config.json rejection: every bad input gets one exact line naming the
// JSON path and the reason (docs/design.md: "Bad input ... one line naming the field and the reason").
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "spec_error_of.hpp"
#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

using namespace vcrun;
using nlohmann::json;

namespace {

json base() { return test::minimal_spec(); }

std::string error_of(const std::string& patch) { return test::spec_error_of(base(), patch); }

struct Case {
  const char* patch;
  const char* message;
};

}  // namespace

TEST_CASE("the minimal base config is valid", "[unit]") {
  CHECK(error_of("{}") == "<accepted>");
}

TEST_CASE("malformed documents are rejected with the parser's position", "[unit]") {
  CHECK_THROWS_WITH(parse_spec("{\"ociVersion\": ", "/b"),
                    Catch::Matchers::StartsWith("config.json: invalid JSON: parse error at line 1, column 16"));
  CHECK_THROWS_WITH(parse_spec("", "/b"), Catch::Matchers::StartsWith("config.json: invalid JSON: "));
  CHECK_THROWS_WITH(parse_spec("{} trailing", "/b"),
                    Catch::Matchers::StartsWith("config.json: invalid JSON: "));
  CHECK_THROWS_WITH(parse_spec("[1, 2]", "/b"), "config.json: must be a JSON object");
  CHECK_THROWS_AS(parse_spec("{", "/b"), SpecError);
}

TEST_CASE("missing required fields and wrong types name the field", "[unit]") {
  const Case cases[] = {
      {R"({"ociVersion": null})", "ociVersion: is required"},
      {R"({"ociVersion": 1})", "ociVersion: must be a string"},
      {R"({"ociVersion": "2.0.0"})", "ociVersion: unsupported version \"2.0.0\" (vcrun supports 1.x)"},
      {R"({"process": null})", "process: is required"},
      {R"({"process": []})", "process: must be an object"},
      {R"({"process": {"args": []}})", "process.args: must be a non-empty array"},
      {R"({"process": {"args": null}})", "process.args: must be a non-empty array"},
      {R"({"process": {"args": "sh"}})", "process.args: must be a non-empty array"},
      {R"({"process": {"args": ["sh", 1]}})", "process.args[1]: must be a string"},
      {R"({"process": {"args": [""]}})", "process.args[0]: must not be empty"},
      {R"({"process": {"args": ["a\u0000b"]}})", "process.args[0]: must not contain NUL bytes"},
      {R"({"process": {"cwd": null}})", "process.cwd: is required"},
      {R"({"process": {"terminal": "yes"}})", "process.terminal: must be a boolean"},
      {R"({"process": {"env": "A=1"}})", "process.env: must be an array"},
      {R"({"process": {"user": {"gid": 0}}})", "process.user.uid: is required"},
      {R"({"process": {"user": {"uid": -1, "gid": 0}}})",
       "process.user.uid: must be a non-negative integer"},
      {R"({"process": {"user": {"uid": 4294967296, "gid": 0}}})",
       "process.user.uid: must be at most 4294967295"},
      {R"({"process": {"user": {"uid": 0, "gid": 0, "additionalGids": ["wheel"]}}})",
       "process.user.additionalGids[0]: must be an integer"},
      {R"({"process": {"apparmorProfile": 1}})", "process.apparmorProfile: must be a string"},
      {R"({"process": {"selinuxLabel": []}})", "process.selinuxLabel: must be a string"},
      {R"({"linux": {"mountLabel": false}})", "linux.mountLabel: must be a string"},
      {R"({"root": null})", "root: is required"},
      {R"({"root": {"path": null}})", "root.path: is required"},
      {R"({"root": {"path": ""}})", "root.path: must not be empty"},
      {R"({"root": {"readonly": "true"}})", "root.readonly: must be a boolean"},
      {R"({"mounts": {}})", "mounts: must be an array"},
      {R"({"mounts": [{"type": "tmpfs"}]})", "mounts[0].destination: is required"},
      {R"({"linux": "x"})", "linux: must be an object"},
      {R"({"linux": {"resources": {"memory": {"limit": "1G"}}}})",
       "linux.resources.memory.limit: must be an integer"},
      {R"({"linux": {"resources": {"memory": {"limit": 1.5}}}})",
       "linux.resources.memory.limit: must be an integer"},
      {R"({"linux": {"resources": {"memory": {"limit": 9223372036854775808}}}})",
       "linux.resources.memory.limit: is out of range (must fit a signed 64-bit integer)"},
      {R"({"linux": {"namespaces": [{"path": "/x"}]}})", "linux.namespaces[0].type: is required"},
      {R"({"annotations": {"a": 1}})", "annotations[\"a\"]: must be a string"},
      {R"({"hooks": {"poststop": [{"args": []}]}})", "hooks.poststop[0].path: is required"},
      {R"({"vcrun": {"cpu": {"reservation": "x"}}})", "vcrun.cpu.reservation: must be a number"},
      {R"({"vcrun": {"memory": {"high": "1G"}}})", "vcrun.memory.high: must be an integer"},
      {R"({"vcrun": {"init": "yes"}})", "vcrun.init: must be a boolean"},
      {R"({"vcrun": []})", "vcrun: must be an object"},
  };
  for (const auto& c : cases) {
    INFO("patch: " << c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
}

TEST_CASE("unknown names in enumerations are rejected", "[unit]") {
  const Case cases[] = {
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "foo"}]}})",
       "linux.namespaces[2].type: unknown namespace type \"foo\""},
      {R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                   {"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]}})",
       "process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\""},
      {R"({"process": {"capabilities": {"bounding": ["CAP_FOO"]}}})",
       "process.capabilities.bounding[0]: unknown capability \"CAP_FOO\""},
      {R"({"process": {"capabilities": {"ambient": ["CAP_CHOWN", "CHOWN"]}}})",
       "process.capabilities.ambient[1]: unknown capability \"CHOWN\""},
      {R"({"process": {"capabilities": {"effective": ["CAP_"]}}})",
       "process.capabilities.effective[0]: unknown capability \"CAP_\""},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "x", "major": 1, "minor": 1}]}})",
       "linux.devices[0].type: unknown device type \"x\""},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "char", "major": 1, "minor": 1}]}})",
       "linux.devices[0].type: unknown device type \"char\""},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "c"}]}})",
       "linux.devices[0].major: is required"},
      {R"({"linux": {"resources": {"devices": [{"allow": true, "type": "z"}]}}})",
       "linux.resources.devices[0].type: unknown device type \"z\""},
      {R"({"linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}})",
       "linux.resources.devices[0].access: must contain only the letters r, w and m, got \"rwx\""},
      {R"({"linux": {"resources": {"devices": [{"access": "r"}]}}})",
       "linux.resources.devices[0].allow: is required"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FOO"}]}}})",
       "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_FOO\""},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_FOO"}]}]}}})",
       "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\""},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
           "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}}})",
       "linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5"},
      {R"({"linux": {"seccomp": {"syscalls": []}}})", "linux.seccomp.defaultAction: is required"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": [""], "action": "SCMP_ACT_ALLOW"}]}}})",
       "linux.seccomp.syscalls[0].names[0]: must not be empty"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": [], "action": "SCMP_ACT_ALLOW"}]}}})",
       "linux.seccomp.syscalls[0].names: must be a non-empty array"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}]}}})",
       "linux.seccomp.syscalls[0].errnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_KILL", "defaultErrnoRet": 1}}})",
       "linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86"]}}})",
       "linux.seccomp.architectures[0]: unknown architecture \"x86\""},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["FAST"]}}})",
       "linux.seccomp.flags[0]: unknown seccomp flag \"FAST\""},
      {R"({"linux": {"rootfsPropagation": "weird"}})",
       "linux.rootfsPropagation: unknown propagation \"weird\""},
      {R"({"linux": {"resources": {"cpu": {"idle": 2}}}})",
       "linux.resources.cpu.idle: must be 0 or 1"},
  };
  for (const auto& c : cases) {
    INFO("patch: " << c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
}

TEST_CASE("semantic errors name the field and the reason", "[unit]") {
  const Case cases[] = {
      {R"({"process": {"cwd": "work"}})", "process.cwd: must be an absolute path"},
      {R"({"process": {"env": ["A=1", "PATH"]}})",
       "process.env[1]: must have the form KEY=VALUE, got \"PATH\""},
      {R"({"process": {"env": ["=x"]}})", "process.env[0]: must have the form KEY=VALUE, got \"=x\""},
      {R"({"process": {"user": {"uid": 0, "gid": 0, "umask": 4095}}})",
       "process.user.umask: must be at most 0777 (511)"},
      {R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]}})",
       "process.rlimits[0]: soft limit 2048 exceeds hard limit 1024"},
      {R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1},
                                   {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}})",
       "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
      {R"({"process": {"oomScoreAdj": 1001}})", "process.oomScoreAdj: must be between -1000 and 1000"},
      {R"({"process": {"oomScoreAdj": 10000000000}})",
       "process.oomScoreAdj: must be between -1000 and 1000"},
      {R"({"mounts": [{"destination": "proc", "type": "proc"}]})",
       "mounts[0].destination: must be an absolute path"},
      {R"({"mounts": [{"destination": "/x", "options": ["bind"]}]})",
       "mounts[0].source: a bind mount needs a source"},
      {R"({"hooks": {"prestart": [{"path": "hook"}]}})", "hooks.prestart[0].path: must be an absolute path"},
      {R"({"hooks": {"createRuntime": [{"path": "/h", "timeout": 0}]}})",
       "hooks.createRuntime[0].timeout: must be greater than 0"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}, {"type": "pid"}]}})",
       "linux.namespaces[2].type: duplicate namespace type \"pid\""},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "netns"}]}})",
       "linux.namespaces[1].path: must be an absolute path"},
      {R"({"linux": {"namespaces": [{"type": "pid"}]}})",
       "linux.namespaces: a mount namespace is required"},
      {R"({"linux": {"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})",
       "linux.uidMappings: requires a user namespace in linux.namespaces"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}]}})",
       "linux.uidMappings: a new user namespace needs uid mappings"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                     "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})",
       "linux.gidMappings: a new user namespace needs gid mappings"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                     "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 0}],
                     "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})",
       "linux.uidMappings[0].size: must be greater than 0"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                     "uidMappings": [{"containerID": 4294967295, "hostID": 1000, "size": 2}],
                     "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}})",
       "linux.uidMappings[0]: range exceeds the 32-bit id space"},
      {R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}],
                     "uidMappings": [{"containerID": 0, "hostID": 1000}]}})",
       "linux.uidMappings[0].size: is required"},
      {R"({"hostname": "box"})", "hostname: requires a uts namespace in linux.namespaces"},
      {R"({"domainname": "example.org"})", "domainname: requires a uts namespace in linux.namespaces"},
      {R"({"linux": {"sysctl": {"": "1"}}})", "linux.sysctl[\"\"]: invalid sysctl name"},
      {R"({"linux": {"sysctl": {"net..x": "1"}}})", "linux.sysctl[\"net..x\"]: invalid sysctl name"},
      {R"({"linux": {"sysctl": {"kernel.panic": "1"}}})",
       "linux.sysctl[\"kernel.panic\"]: is not namespaced: setting it would change the host"},
      {R"({"linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}})",
       "linux.sysctl[\"net.ipv4.ip_forward\"]: requires a network namespace"},
      {R"({"linux": {"sysctl": {"kernel/shmmax": "1"}}})",
       "linux.sysctl[\"kernel/shmmax\"]: requires an ipc namespace"},
      {R"({"linux": {"maskedPaths": ["proc/kcore"]}})", "linux.maskedPaths[0]: must be an absolute path"},
      {R"({"linux": {"readonlyPaths": ["/a", ""]}})", "linux.readonlyPaths[1]: must be an absolute path"},
      {R"({"linux": {"cgroupsPath": "../escape"}})", "linux.cgroupsPath: must not contain \"..\""},
      {R"({"linux": {"cgroupsPath": "/vcrun/x/cgroup.procs"}})",
       "linux.cgroupsPath: component \"cgroup.procs\" is the name of a cgroup interface file, not of a cgroup"},
      {R"({"linux": {"cgroupsPath": "/pod/memory.max"}})",
       "linux.cgroupsPath: component \"memory.max\" is the name of a cgroup interface file, not of a cgroup"},
      {R"({"linux": {"cgroupsPath": "/a//b"}})", "linux.cgroupsPath: component 2 is empty (\"//\" or a trailing \"/\")"},
      {R"({"linux": {"cgroupsPath": "a/b/"}})", "linux.cgroupsPath: component 3 is empty (\"//\" or a trailing \"/\")"},
      {R"({"linux": {"cgroupsPath": "/a/./b"}})", "linux.cgroupsPath: must not contain \".\" components"},
      {R"({"linux": {"cgroupsPath": "/"}})", "linux.cgroupsPath: must name a cgroup below the hierarchy root"},
      {R"({"linux": {"cgroupsPath": "/a\nb"}})", "linux.cgroupsPath: must not contain a newline or NUL byte"},
      {R"({"linux": {"devices": [{"path": "dev/x", "type": "c", "major": 1, "minor": 1}]}})",
       "linux.devices[0].path: must be an absolute path"},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1,
                                  "fileMode": 32768}]}})",
       "linux.devices[0].fileMode: file type bits 0100000 contradict type \"c\" (020000)"},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "b", "major": 8, "minor": 0,
                                  "fileMode": 8630}]}})",
       "linux.devices[0].fileMode: file type bits 020000 contradict type \"b\" (060000)"},
      {R"({"linux": {"devices": [{"path": "/dev/x", "type": "c", "major": 1, "minor": 1,
                                  "fileMode": 262143}]}})",
       "linux.devices[0].fileMode: must be a permission mode (at most 07777), optionally with the "
       "file type bits of its type"},
  };
  for (const auto& c : cases) {
    INFO("patch: " << c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
}

TEST_CASE("linux.cgroupsPath beyond NAME_MAX or PATH_MAX is rejected, user.slice is not", "[unit]") {
  json j = base();
  j["linux"]["cgroupsPath"] = "/a/" + std::string(256, 'b');
  CHECK_THROWS_WITH(parse_spec(j.dump(), "/bundle"),
                    "linux.cgroupsPath: component 2 is 256 bytes long, more than NAME_MAX (255)");
  j["linux"]["cgroupsPath"] = "/a/" + std::string(5000, 'b');
  CHECK_THROWS_WITH(parse_spec(j.dump(), "/bundle"),
                    "linux.cgroupsPath: is 5003 bytes long, more than PATH_MAX (4095)");
  j["linux"]["cgroupsPath"] = "/user.slice/vcrun.scope/" + std::string(255, 'b');
  CHECK_NOTHROW(parse_spec(j.dump(), "/bundle"));
}

TEST_CASE("a number beyond a double names its field", "[unit]") {
  auto error_of_text = [](const std::string& text) {
    try {
      parse_spec(text, "/bundle");
    } catch (const SpecError& e) {
      return std::string(e.what());
    }
    return std::string("<accepted>");
  };
  std::string doc = base().dump();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string d = doc;
    d.replace(d.find(from), from.size(), to);
    return d;
  };
  CHECK(error_of_text(with(R"("cwd":"/")", R"("cwd":"/","user":{"uid":1e999,"gid":0})")) ==
        "process.user.uid: the number 1e999 is out of range");
  CHECK(error_of_text(with(R"("cwd":"/")",
                           R"("cwd":"/","user":{"uid":0,"gid":0,"additionalGids":[1,-1e999]})")) ==
        "process.user.additionalGids[1]: the number -1e999 is out of range");
  CHECK(error_of_text(with(R"("path":"rootfs")", R"("path":"rootfs","x":[[1],{"y":[2,3e400]}])")) ==
        "root.x[1].y[1]: the number 3e400 is out of range");
  try {
    parse_process_json(R"({"args":["sh"],"cwd":"/","user":{"uid":0,"gid":1E+999}})");
    FAIL("accepted");
  } catch (const SpecError& e) {
    CHECK(std::string(e.what()) == "process.user.gid: the number 1E+999 is out of range");
  }
}

TEST_CASE("resource limits out of range are rejected", "[unit]") {
  const Case cases[] = {
      {R"({"linux": {"resources": {"memory": {"limit": -2}}}})",
       "linux.resources.memory.limit: must be -1 (unlimited) or a number of bytes >= 0"},
      {R"({"linux": {"resources": {"memory": {"limit": 1000, "reservation": 2000}}}})",
       "linux.resources.memory.reservation: must not exceed memory.limit"},
      {R"({"linux": {"resources": {"memory": {"limit": 2000, "swap": 1000}}}})",
       "linux.resources.memory.swap: must be at least memory.limit (it counts memory plus swap)"},
      {R"({"linux": {"resources": {"memory": {"swappiness": 101}}}})",
       "linux.resources.memory.swappiness: must be between 0 and 100"},
      {R"({"linux": {"resources": {"pids": {"limit": -2}}}})",
       "linux.resources.pids.limit: must be -1 (unlimited) or >= 0"},
      {R"({"linux": {"resources": {"blockIO": {"weight": 5}}}})",
       "linux.resources.blockIO.weight: must be between 10 and 1000 (0: unset)"},
      {R"({"linux": {"resources": {"blockIO": {"weight": 5000}}}})",
       "linux.resources.blockIO.weight: must be between 10 and 1000"},
      {R"({"linux": {"resources": {"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 1}]}}}})",
       "linux.resources.blockIO.weightDevice[0].weight: must be between 10 and 1000 (0: unset)"},
      {R"({"linux": {"resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0}]}}}})",
       "linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"},
      {R"({"linux": {"resources": {"cpu": {"shares": 1}}}})",
       "linux.resources.cpu.shares: must be between 2 and 262144 (0: unset)"},
      {R"({"linux": {"resources": {"cpu": {"quota": 10}}}})",
       "linux.resources.cpu.quota: must be -1 (unlimited) or at least 1000 microseconds (0: unset)"},
      {R"({"linux": {"resources": {"cpu": {"period": 100}}}})",
       "linux.resources.cpu.period: must be between 1000 and 1000000 microseconds (0: unset)"},
      {R"({"linux": {"resources": {"cpu": {"quota": 5000, "burst": 6000}}}})",
       "linux.resources.cpu.burst: must not exceed cpu.quota"},
      {R"({"linux": {"resources": {"cpu": {"cpus": "0-a"}}}})",
       "linux.resources.cpu.cpus: invalid CPU list \"0-a\""},
      {R"({"linux": {"resources": {"cpu": {"cpus": "3-1"}}}})",
       "linux.resources.cpu.cpus: invalid CPU list \"3-1\""},
      {R"({"linux": {"resources": {"cpu": {"mems": "0,"}}}})",
       "linux.resources.cpu.mems: invalid memory node list \"0,\""},
      {R"({"linux": {"resources": {"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}}})",
       "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\" (expected e.g. \"2MB\")"},
      {R"({"linux": {"resources": {"unified": {"../x": "1"}}}})",
       "linux.resources.unified[\"../x\"]: invalid cgroup file name (expected \"<controller>.<file>\")"},
      {R"({"vcrun": {"cpu": {"reservation": 1.5}}})", "vcrun.cpu.reservation: must be between 0 and 1"},
      {R"({"vcrun": {"cpu": {"reservation": -0.1}}})", "vcrun.cpu.reservation: must be between 0 and 1"},
      {R"({"vcrun": {"cpu": {"share": -1}}})", "vcrun.cpu.share: must be a finite number >= 0"},
      {R"({"vcrun": {"memory": {"min": -1}}})", "vcrun.memory.min: must be a number of bytes >= 0"},
      {R"({"vcrun": {"memory": {"high": 100, "min": 200}}})",
       "vcrun.memory.min: must not exceed vcrun.memory.high"},
  };
  for (const auto& c : cases) {
    INFO("patch: " << c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
}

TEST_CASE("boundary values are accepted", "[unit]") {
  const char* ok[] = {
      R"({"linux": {"resources": {"memory": {"limit": -1, "swap": -1, "reservation": 0}}}})",
      R"({"linux": {"resources": {"cpu": {"shares": 0, "quota": -1, "period": 1000000}}}})",
      R"({"linux": {"resources": {"cpu": {"shares": 2, "quota": 1000, "period": 1000, "idle": true}}}})",
      R"({"linux": {"resources": {"pids": {"limit": -1}, "blockIO": {"weight": 10, "leafWeight": 1000}}}})",
      R"({"linux": {"namespaces": [{"type": "mount"}, {"type": "user", "path": "/proc/1/ns/user"}]}})",
      R"({"process": {"oomScoreAdj": -1000, "capabilities": {"bounding": ["cap_sys_admin"]}}})",
      R"({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 5, "hard": 5}]}})",
      R"({"vcrun": {"cpu": {"reservation": 0, "share": 0}}})",
      R"({"vcrun": {"cpu": {"reservation": 1}}})",
      R"({"ociVersion": "1.0.0-rc5"})",
      R"({"linux": {"rootfsPropagation": "private"}})",
      R"({"mounts": [{"destination": "/m", "type": "none", "source": "x", "options": ["ro"]}]})",
  };
  for (const char* patch : ok) {
    INFO("patch: " << patch);
    CHECK(error_of(patch) == "<accepted>");
  }
}

TEST_CASE("validate_spec checks specs built without JSON (quick mode)", "[unit]") {
  ContainerSpec s;
  s.oci_version = "1.2.0";
  s.process.args = {"/bin/true"};
  s.root.path = "/";
  s.linux.namespaces = {{NamespaceType::mount, ""}, {NamespaceType::pid, ""}};
  CHECK_NOTHROW(validate_spec(s));

  s.process.capabilities = Capabilities{};
  s.process.capabilities->bounding = {"CAP_NET_ADMIN", "CAP_NOPE"};
  CHECK_THROWS_WITH(validate_spec(s),
                    "process.capabilities.bounding[1]: unknown capability \"CAP_NOPE\"");
  s.process.capabilities.reset();

  s.vcrun.cpu_reservation = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(validate_spec(s), "vcrun.cpu.reservation: must be between 0 and 1");
  s.vcrun.cpu_reservation = 0.5;
  s.vcrun.cpu_share = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(validate_spec(s), "vcrun.cpu.share: must be a finite number >= 0");
  s.vcrun.cpu_share = 1;
  CHECK_NOTHROW(validate_spec(s));

  s.root.path = "relative";
  CHECK_THROWS_WITH(validate_spec(s), "root.path: must be an absolute path");
}

TEST_CASE("linux.devices fileMode may carry the file type bits of its type (podman --privileged)", "[unit]") {
  // 8630 = 020666 (S_IFCHR | 0666), 25008 = 060660 (S_IFBLK | 0660), 4516 = 010644 (S_IFIFO | 0644)
  CHECK(error_of(R"({"linux": {"devices": [{"path": "/dev/n", "type": "c", "major": 1, "minor": 3,
                                             "fileMode": 8630}]}})") == "<accepted>");
  CHECK(error_of(R"({"linux": {"devices": [{"path": "/dev/n", "type": "u", "major": 1, "minor": 3,
                                             "fileMode": 8630}]}})") == "<accepted>");
  CHECK(error_of(R"({"linux": {"devices": [{"path": "/dev/d", "type": "b", "major": 8, "minor": 0,
                                             "fileMode": 25008}]}})") == "<accepted>");
  CHECK(error_of(R"({"linux": {"devices": [{"path": "/dev/p", "type": "p", "fileMode": 4516}]}})") ==
        "<accepted>");
}

TEST_CASE("seccomp notify: listenerPath is required, absolute, and the handover stays free",
          "[unit][seccomp][notify]") {
  const Case cases[] = {
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
           "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}}})",
       "linux.seccomp.listenerPath: is required by SCMP_ACT_NOTIFY in linux.seccomp.syscalls[1] "
       "(the seccomp agent that receives the listener fd)"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "agent.sock",
           "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}}})",
       "linux.seccomp.listenerPath: must be an absolute path"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": 3}}})",
       "linux.seccomp.listenerPath: must be a string"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a",
           "listenerMetadata": {}}}})",
       "linux.seccomp.listenerMetadata: must be a string"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/a"}}})",
       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action (the "
       "listener fd could not reach the agent)"},
      {R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a",
           "syscalls": [{"names": ["mkdir", "sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}}})",
       "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot trap sendmsg: the listener "
       "fd is handed over with it"},
  };
  for (const auto& c : cases) {
    INFO("patch: " << c.patch);
    CHECK(error_of(c.patch) == c.message);
  }
  json long_path = {{"linux", {{"seccomp", {{"defaultAction", "SCMP_ACT_ALLOW"},
                                            {"listenerPath", "/" + std::string(107, 'a')}}}}}};
  CHECK(error_of(long_path.dump()) ==
        "linux.seccomp.listenerPath: is longer than a unix socket path can be (107 bytes)");
  // A listenerPath without a notify action is harmless (nothing is sent), as in runc.
  CHECK(error_of(R"({"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                      "listenerPath": "/run/agent.sock"}}})") == "<accepted>");
}

TEST_CASE("seccomp notify: listenerPath and listenerMetadata are parsed", "[unit][seccomp][notify]") {
  json j = base();
  j["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", "/run/agent.sock"},
      {"listenerMetadata", "pod=web"},
      {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  auto spec = parse_spec(j.dump(), "/bundle");
  REQUIRE(spec.linux.seccomp);
  CHECK(spec.linux.seccomp->listener_path == "/run/agent.sock");
  CHECK(spec.linux.seccomp->listener_metadata == "pod=web");
  CHECK(spec.linux.seccomp->syscalls[0].action == SeccompAction::notify);
}
