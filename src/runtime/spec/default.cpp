// The config.json templates `vcrun spec` prints: runc's starter spec (also rootless) and
// vcrun's stricter one (`--secure`, and the base of quick mode).
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

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
  if (!options.is_null()) m["options"] = std::move(options);
  return m;
}

// What both templates share, in runc's field order: process (without capabilities),
// root and hostname.
ojson base_spec(bool terminal) {
  ojson spec;
  spec["ociVersion"] = kOciVersion;
  ojson& p = spec["process"];
  p["terminal"] = terminal;
  p["user"] = {{"uid", 0}, {"gid", 0}};
  p["args"] = {"sh"};
  p["env"] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p["cwd"] = "/";
  return spec;
}

void finish_process(ojson& spec, const ojson& caps) {
  ojson& p = spec["process"];
  p["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  p["rlimits"] = ojson::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}});
  p["noNewPrivileges"] = true;
  spec["root"] = {{"path", "rootfs"}, {"readonly", true}};
  spec["hostname"] = "vcrun";
}

const ojson kMaskedPaths = {"/proc/acpi",          "/proc/asound",        "/proc/kcore",
                            "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
                            "/proc/timer_stats",   "/proc/sched_debug",   "/proc/scsi",
                            "/sys/firmware",       "/sys/devices/virtual/powercap"};
const ojson kReadonlyPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"};

}  // namespace

std::string default_spec_json() {
  // The usual container default set (Docker/runc/podman agree on it); inheritable and
  // ambient stay empty so exec'd programs cannot carry capabilities past execve.
  const ojson caps = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                      "CAP_MKNOD",  "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                      "CAP_SETFCAP", "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                      "CAP_KILL",   "CAP_AUDIT_WRITE"};
  ojson spec = base_spec(false);
  finish_process(spec, caps);
  spec["mounts"] = ojson::array({
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup2", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });

  ojson& l = spec["linux"];
  l["namespaces"] = ojson::array();
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"})
    l["namespaces"].push_back({{"type", ns}});
  l["maskedPaths"] = kMaskedPaths;
  l["readonlyPaths"] = kReadonlyPaths;
  // vcrun's built-in seccomp profile (security::default_profile), by reference: the
  // profile evolves with the runtime instead of being frozen into every bundle.
  spec["vcrun"] = {{"seccomp", "default"}};
  return spec.dump(2) + "\n";
}

// runc's `spec` (and `spec --rootless`, runc's specconv.ToRootless) field by field, with
// three deliberate differences: ociVersion is the version vcrun implements; the hostname
// is "vcrun"; and the capabilities carry no "ambient" list, which runc 1.1 writes
// although, with "inheritable" empty, the kernel can never raise one of them (newer
// runc versions dropped it as well). /sys/devices/virtual/powercap is masked as newer
// runc versions do (the RAPL energy counters leak what other tenants compute).
std::string runc_spec_json(bool rootless) {
  const ojson caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  ojson spec = base_spec(true);
  finish_process(spec, caps);
  ojson pts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  // Without a user namespace the tty group's gid 5 is the host's; mapped, it may not exist.
  if (!rootless) pts.push_back("gid=5");
  spec["mounts"] = ojson::array({
      mount("/proc", "proc", "proc", nullptr),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts", pts),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      // A user namespace that does not own the network namespace cannot mount sysfs.
      rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });

  ojson& l = spec["linux"];
  if (rootless) {
    l["uidMappings"] = ojson::array({{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}});
    l["gidMappings"] = ojson::array({{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}});
  } else {
    l["resources"] = {{"devices", ojson::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  l["namespaces"] = ojson::array();
  // Rootless: a user namespace, and no network namespace (nothing could configure it).
  // On a pure cgroup v2 host a cgroup namespace too, as runc adds (its IsCgroup2UnifiedMode:
  // /sys/fs/cgroup is cgroup2), so the container does not see the other tenants' cgroups.
  struct statfs fs {};
  bool unified = ::statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup", "user"}) {
    std::string_view n(ns);
    if (n == (rootless ? "network" : "user") || (n == "cgroup" && !unified)) continue;
    l["namespaces"].push_back({{"type", ns}});
  }
  l["maskedPaths"] = kMaskedPaths;
  l["readonlyPaths"] = kReadonlyPaths;
  return spec.dump(2) + "\n";
}

}  // namespace vcrun
