// default_spec_json: the runnable config.json template `vcrun spec` prints.
#include <nlohmann/json.hpp>

#include "vcrun/spec.hpp"

namespace vcrun {

namespace {

using ojson = nlohmann::ordered_json;

ojson mount(const char* dest, const char* type, const char* source, ojson options) {
  ojson m;
  m["destination"] = dest;
  m["type"] = type;
  m["source"] = source;
  m["options"] = std::move(options);
  return m;
}

}  // namespace

std::string default_spec_json() {
  // The usual container default set (Docker/runc/podman agree on it); inheritable and
  // ambient stay empty so exec'd programs cannot carry capabilities past execve.
  const ojson caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                      "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                      "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                      "CAP_KILL",   "CAP_AUDIT_WRITE"};
  ojson spec;
  spec["ociVersion"] = "1.2.0";

  ojson& p = spec["process"];
  p["terminal"] = false;
  p["user"] = {{"uid", 0}, {"gid", 0}};
  p["args"] = {"sh"};
  p["env"] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p["cwd"] = "/";
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  p["rlimits"] = ojson::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}});
  p["noNewPrivileges"] = true;

  spec["root"] = {{"path", "rootfs"}, {"readonly", true}};
  spec["hostname"] = "vcrun";
  spec["mounts"] = ojson::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup2", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });

  ojson& l = spec["linux"];
  l["namespaces"] = ojson::array();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"})
    l["namespaces"].push_back({{"type", ns}});
  l["maskedPaths"] = {"/proc/acpi",          "/proc/asound",     "/proc/kcore",
                      "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
                      "/proc/timer_stats",   "/proc/sched_debug", "/proc/scsi",
                      "/sys/firmware",       "/sys/devices/virtual/powercap"};
  l["readonlyPaths"] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  // vcrun's built-in seccomp profile (security::default_profile), by reference: the
  // profile evolves with the runtime instead of being frozen into every bundle.
  spec["vcrun"] = {{"seccomp", "default"}};
  return spec.dump(2) + "\n";
}

}  // namespace vcrun
