// vcrun-escape-suite: real escape attempts from inside vcrun containers (issue 4). Each
// case runs tests/security/escape_probe.c in a container built from `vcrun spec` and, where
// it makes sense, on the host as a control showing the attempt is not vacuous. Prints a
// table and "N passed, M failed"; exit status 1 when anything failed. Run as root.
//
// Usage: vcrun-escape-suite [--vcrun PATH] [--probe PATH] [--workdir DIR] [CASE...]
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/security/seccomp.hpp"

#ifndef VCRUN_BINARY
#define VCRUN_BINARY "vcrun"
#endif
#ifndef VCRUN_ESCAPE_PROBE
#define VCRUN_ESCAPE_PROBE "escape_probe"
#endif
#ifndef VCRUN_TEST_WORKDIR
#define VCRUN_TEST_WORKDIR "/tmp"
#endif

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct Proc {
  int status = -1;
  std::string out, err;
};

struct Env {
  std::string vcrun;      // a private copy of the binary (the runtime-exe case targets it)
  std::string probe;      // host path of escape_probe
  std::string work;       // scratch directory, removed at the end
  std::string rootfs;     // busybox + probe
  std::string marker;     // a host file outside every rootfs
  std::string state;      // --root of every vcrun call
  json base;              // config.json from `vcrun spec`, adjusted
  int counter = 0;
};

// fork/exec with stdout/stderr captured; `before_exec` runs in the child.
Proc run(const std::vector<std::string>& argv, int timeout_s = 30,
         const std::function<void()>& before_exec = {}) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    if (before_exec) before_exec();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  Proc p;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 200) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? p.out : p.err).append(buf, n);
      }
    }
  }
  if (open_fds > 0) ::kill(pid, SIGKILL);
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  ::waitpid(pid, &p.status, 0);
  return p;
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The probe's verdict line ("BLOCKED: ..."), or "" when the probe never ran.
std::string verdict_line(const std::string& out) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("BLOCKED:", 0) == 0 || line.rfind("ESCAPED:", 0) == 0 ||
        line.rfind("ERROR:", 0) == 0)
      return line;
  return "";
}

const char* op_name(vcrun::SeccompOp op) {
  using vcrun::SeccompOp;
  switch (op) {
    case SeccompOp::ne: return "SCMP_CMP_NE";
    case SeccompOp::lt: return "SCMP_CMP_LT";
    case SeccompOp::le: return "SCMP_CMP_LE";
    case SeccompOp::eq: return "SCMP_CMP_EQ";
    case SeccompOp::ge: return "SCMP_CMP_GE";
    case SeccompOp::gt: return "SCMP_CMP_GT";
    case SeccompOp::masked_eq: return "SCMP_CMP_MASKED_EQ";
  }
  return "";
}

// The built-in profile as OCI JSON, for specs that do not ask for it themselves.
json default_profile_json() {
  vcrun::Seccomp p = vcrun::security::default_profile();
  json s;
  s["defaultAction"] = vcrun::security::action_name(p.default_action);
  s["architectures"] = p.architectures;
  s["syscalls"] = json::array();
  for (const auto& r : p.syscalls) {
    json j;
    j["names"] = r.names;
    j["action"] = vcrun::security::action_name(r.action);
    if (r.errno_ret) j["errnoRet"] = *r.errno_ret;
    if (!r.args.empty()) {
      j["args"] = json::array();
      for (const auto& a : r.args)
        j["args"].push_back(
            {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", op_name(a.op)}});
    }
    s["syscalls"].push_back(j);
  }
  return s;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

struct Outcome {
  std::string result;  // BLOCKED/ESCAPED/ERROR/REFUSED + detail
  bool pass = false;
};

// Runs one container whose process is `escape_probe args...`; `edit` adjusts config.json.
Outcome in_container(Env& env, const std::vector<std::string>& args,
                     const std::function<void(json&)>& edit = {}, bool refusal_is_pass = false,
                     const std::function<void()>& before_exec = {}) {
  std::string id = "escape-" + std::to_string(::getpid()) + "-" + std::to_string(++env.counter);
  std::string bundle = env.work + "/" + id;
  fs::create_directories(bundle);
  json spec = env.base;
  spec["process"]["args"] = json::array({"/escape_probe"});
  for (const auto& a : args) spec["process"]["args"].push_back(a);
  if (edit) edit(spec);
  write_text(bundle + "/config.json", spec.dump(2));
  Proc p = run({env.vcrun, "--root", env.state, "run", "--rm", "-b", bundle, id}, 60, before_exec);
  run({env.vcrun, "--root", env.state, "delete", "--force", id}, 20);
  std::string v = verdict_line(p.out);
  if (v.empty()) {
    std::string why = last_line(p.err);
    if (why.empty()) why = "exit status " + std::to_string(p.status);
    return {"REFUSED: " + why, refusal_is_pass};
  }
  return {v, v.rfind("BLOCKED:", 0) == 0};
}

// The same probe on the host; `setup` runs in the child (chroot, unshare...) before exec.
std::string on_host(Env& env, const std::vector<std::string>& args,
                    const std::function<void()>& setup = {}, const std::string& probe = "") {
  std::vector<std::string> argv = {probe.empty() ? env.probe : probe};
  argv.insert(argv.end(), args.begin(), args.end());
  Proc p = run(argv, 30, setup);
  std::string v = verdict_line(p.out);
  if (v.rfind("ESCAPED:", 0) == 0) return "works";
  return "n/a (" + (v.empty() ? last_line(p.err) : v) + ")";
}

struct Row {
  std::string name, result, control;
  bool pass;
};

void copy_file(const std::string& from, const std::string& to, fs::perms perms) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, perms);
}

void prepare(Env& env, const std::string& vcrun_bin) {
  fs::create_directories(env.work);
  env.rootfs = env.work + "/rootfs";
  env.state = env.work + "/state";
  fs::create_directories(env.rootfs + "/bin");
  for (const char* d : {"proc", "sys", "dev", "tmp", "etc"}) fs::create_directories(env.rootfs + "/" + d);
  fs::permissions(env.rootfs + "/tmp", fs::perms::all | fs::perms::sticky_bit);
  const char* busybox = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
  copy_file(busybox, env.rootfs + "/bin/busybox", fs::perms(0755));
  for (const char* l : {"sh", "true", "sleep", "cat", "ls"})
    fs::create_symlink("busybox", env.rootfs + "/bin/" + l);
  copy_file(env.probe, env.rootfs + "/escape_probe", fs::perms(0755));
  // A setuid-root copy for the no_new_privs case.
  copy_file(env.probe, env.rootfs + "/suid_probe", fs::perms(0755));
  ::chown((env.rootfs + "/suid_probe").c_str(), 0, 0);
  ::chmod((env.rootfs + "/suid_probe").c_str(), 04755);
  env.marker = env.work + "/host-only-marker";
  write_text(env.marker, "host\n");
  env.vcrun = env.work + "/vcrun-under-test";
  copy_file(vcrun_bin, env.vcrun, fs::perms(0755));

  Proc p = run({env.vcrun, "spec", "--stdout"});
  if (p.status != 0) throw std::runtime_error("vcrun spec --stdout failed: " + p.err);
  env.base = json::parse(p.out);
  env.base["root"] = {{"path", env.rootfs}, {"readonly", false}};
  env.base["process"]["terminal"] = false;
  env.base["process"]["env"] = {"PATH=/bin"};
  bool has_seccomp = env.base.contains("linux") && env.base["linux"].contains("seccomp");
  bool ext_seccomp = env.base.contains("vcrun") && env.base["vcrun"].contains("seccomp");
  if (!has_seccomp && !ext_seccomp) {
    std::cout << "NOTE: `vcrun spec` has no seccomp profile; the suite adds vcrun's default "
                 "profile as linux.seccomp\n";
    env.base["linux"]["seccomp"] = default_profile_json();
  }
}

void drop_cap(json& spec, const std::string& cap) {
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
    auto& caps = spec["process"]["capabilities"];
    if (!caps.contains(set)) continue;
    json kept = json::array();
    for (const auto& c : caps[set])
      if (c != cap) kept.push_back(c);
    caps[set] = kept;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string vcrun_bin = VCRUN_BINARY, probe = VCRUN_ESCAPE_PROBE, workdir = VCRUN_TEST_WORKDIR;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--vcrun" && i + 1 < argc) vcrun_bin = argv[++i];
    else if (a == "--probe" && i + 1 < argc) probe = argv[++i];
    else if (a == "--workdir" && i + 1 < argc) workdir = argv[++i];
    else only.push_back(a);
  }
  if (::geteuid() != 0) {
    std::cout << "SKIP: the escape suite needs root\n";
    return 0;
  }
  if (!fs::exists("/bin/busybox") && !fs::exists("/usr/bin/busybox")) {
    std::cout << "SKIP: busybox (static) is needed for the container rootfs\n";
    return 77;  // ctest SKIP_RETURN_CODE
  }
  Env env;
  env.probe = fs::absolute(probe);
  env.work = fs::absolute(workdir) / ("escape-suite-" + std::to_string(::getpid()));
  try {
    prepare(env, vcrun_bin);
  } catch (const std::exception& e) {
    std::cout << "ERROR: setup: " << e.what() << "\n0 passed, 1 failed\n";
    return 1;
  }
  const std::string host_pid = std::to_string(::getpid());
  auto private_mount_ns = [] {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      ::_exit(3);
  };
  std::string chroot_dir = env.rootfs;
  auto in_chroot = [chroot_dir] {
    if (::chroot(chroot_dir.c_str()) != 0 || ::chdir("/") != 0) ::_exit(3);
  };

  std::vector<Row> rows;
  auto add = [&](const std::string& name, Outcome o, const std::string& control = "-") {
    if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) return;
    rows.push_back({name, o.result, control, o.pass});
  };
  auto want = [&](const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };

  if (want("fchdir-chroot"))
    add("fchdir-chroot", in_container(env, {"fchdir-chroot", env.marker}),
        on_host(env, {"fchdir-chroot", env.marker}, in_chroot, "/escape_probe"));
  if (want("mount"))
    add("mount", in_container(env, {"mount"}), on_host(env, {"mount"}, private_mount_ns));
  if (want("pivot-root")) add("pivot-root", in_container(env, {"pivot-root", env.marker}));
  if (want("sysrq")) add("sysrq", in_container(env, {"sysrq"}), on_host(env, {"sysrq"}));
  if (want("proc-sys")) add("proc-sys", in_container(env, {"proc-sys"}), on_host(env, {"proc-sys"}));
  if (want("init-module"))
    add("init-module", in_container(env, {"init-module"}), on_host(env, {"init-module"}));
  if (want("kexec")) add("kexec", in_container(env, {"kexec"}), on_host(env, {"kexec"}));
  if (want("block-device"))
    add("block-device", in_container(env, {"block-device"}), on_host(env, {"block-device"}));
  if (want("mknod-disk"))
    add("mknod-disk", in_container(env, {"mknod-disk"}), on_host(env, {"mknod-disk"}));
  if (want("host-pid"))
    add("host-pid", in_container(env, {"host-pid", host_pid}), on_host(env, {"host-pid", host_pid}));
  if (want("proc-pids"))
    add("proc-pids", in_container(env, {"proc-pids", host_pid}),
        on_host(env, {"proc-pids", host_pid}));
  if (want("setns"))
    add("setns", in_container(env, {"setns", host_pid}), on_host(env, {"setns", host_pid}));
  if (want("raw-socket"))
    add("raw-socket", in_container(env, {"raw-socket"}, [](json& s) { drop_cap(s, "CAP_NET_RAW"); }),
        on_host(env, {"raw-socket"}));
  if (want("keyctl")) add("keyctl", in_container(env, {"keyctl"}), on_host(env, {"keyctl"}));
  if (want("bpf")) add("bpf", in_container(env, {"bpf"}), on_host(env, {"bpf"}));
  if (want("perf")) add("perf", in_container(env, {"perf"}), on_host(env, {"perf"}));

  if (want("leaked-fd")) {
    // The caller of vcrun holds a host directory open without O_CLOEXEC.
    add("leaked-fd", in_container(env, {"leaked-fds"}, {}, false, [] {
          int fd = ::open("/", O_RDONLY | O_DIRECTORY);
          if (fd >= 0 && fd != 5) {
            ::dup2(fd, 5);
            ::close(fd);
          }
        }));
  }
  if (want("cwd-proc-self-fd")) {
    // CVE-2024-21626: a cwd through a runtime fd would sit outside the root.
    Outcome worst{"BLOCKED: cwd /proc/self/fd/3..9 all refused or inside the root", true};
    for (int n = 3; n <= 9; ++n) {
      Outcome o = in_container(env, {"cwd", env.marker},
                               [n](json& s) { s["process"]["cwd"] = "/proc/self/fd/" + std::to_string(n); },
                               true);
      if (!o.pass) {
        worst = {"fd " + std::to_string(n) + ": " + o.result, false};
        break;
      }
    }
    add("cwd-proc-self-fd", worst);
  }
  if (want("symlink-mount")) {
    // /etc/x -> /../../../<host dir>: the bind mount must land inside the rootfs.
    std::string host_dir = env.work + "/host-target";
    std::string src = env.work + "/bind-source";
    fs::create_directories(host_dir);
    fs::create_directories(src);
    write_text(src + "/from-bind", "x\n");
    fs::create_symlink("/../../../../../../../.." + host_dir, env.rootfs + "/etc/x");
    Outcome o = in_container(env, {"symlink-mount", host_dir + "/from-bind"}, [&](json& s) {
      s["mounts"].push_back({{"destination", "/etc/x"}, {"type", "bind"}, {"source", src},
                             {"options", {"rbind", "ro"}}});
    }, true);
    if (fs::exists(host_dir + "/from-bind"))
      o = {"ESCAPED: the bind mount landed on the host directory " + host_dir, false};
    add("symlink-mount", o);
  }
  if (want("setuid-nnp")) {
    auto as_user = [](bool nnp) {
      return [nnp](json& s) {
        s["process"]["args"][0] = "/suid_probe";
        s["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
        s["process"]["noNewPrivileges"] = nnp;
      };
    };
    Outcome control = in_container(env, {"setuid"}, as_user(false));
    add("setuid-nnp", in_container(env, {"setuid"}, as_user(true)),
        control.result.rfind("ESCAPED:", 0) == 0 ? "works without no_new_privs"
                                                  : "n/a (" + control.result + ")");
  }
  if (want("runtime-exe")) {
    // A container process watches /proc while `vcrun exec` enters the container 20 times.
    std::string id = "escape-exe-" + host_pid;
    std::string bundle = env.work + "/" + id;
    fs::create_directories(bundle);
    json spec = env.base;
    spec["process"]["args"] = {"/escape_probe", "runtime-exe", "4"};
    write_text(bundle + "/config.json", spec.dump(2));
    Proc fg;
    std::thread t([&] { fg = run({env.vcrun, "--root", env.state, "run", "-b", bundle, id}, 60); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    int execs = 0;
    for (int i = 0; i < 20; ++i)
      if (run({env.vcrun, "--root", env.state, "exec", id, "--", "/bin/true"}, 10).status == 0) ++execs;
    t.join();
    run({env.vcrun, "--root", env.state, "delete", "--force", id}, 20);
    std::string v = verdict_line(fg.out);
    Outcome o = v.empty() ? Outcome{"ERROR: no verdict: " + last_line(fg.err), false}
                          : Outcome{v, v.rfind("BLOCKED:", 0) == 0};
    add("runtime-exe", o, std::to_string(execs) + "/20 execs ran");
  }

  size_t w = 18;
  int passed = 0, failed = 0;
  std::printf("%-18s %-6s %-40s %s\n", "case", "pass", "host control", "container result");
  for (const auto& r : rows) {
    std::printf("%-*s %-6s %-40s %s\n", static_cast<int>(w), r.name.c_str(), r.pass ? "ok" : "FAIL",
                r.control.substr(0, 40).c_str(), r.result.c_str());
    (r.pass ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  std::error_code ec;
  fs::remove_all(env.work, ec);
  return failed ? 1 : 0;
}
