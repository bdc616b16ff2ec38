// validate_spec: the semantic checks every ContainerSpec passes (config.json or quick mode),
// each error naming the config.json field. Code after this point trusts the spec.
#include <cap-ng.h>
#include <strings.h>
#include <sys/stat.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>

#include "base/text.hpp"
#include "runtime/spec/network.hpp"
#include "runtime/spec/validate.hpp"
#include "vcrun/error.hpp"
#include "vcrun/spec.hpp"

namespace vcrun {

namespace {

bool absolute(const std::string& p) { return !p.empty() && p.front() == '/'; }

void require_absolute(const std::string& field, const std::string& p) {
  if (!absolute(p)) throw SpecError(field, "must be an absolute path");
}

void check_capabilities(const Capabilities& caps) {
  const std::pair<const char*, const std::vector<std::string>*> sets[] = {
      {"bounding", &caps.bounding},       {"effective", &caps.effective},
      {"inheritable", &caps.inheritable}, {"permitted", &caps.permitted},
      {"ambient", &caps.ambient},
  };
  for (const auto& [set, names] : sets) {
    for (size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      // libcap-ng knows names without the prefix, case-insensitively ("chown").
      bool ok = name.size() > 4 && strncasecmp(name.c_str(), "CAP_", 4) == 0 &&
                capng_name_to_capability(name.c_str() + 4) >= 0;
      if (!ok)
        throw SpecError(indexed(std::string("process.capabilities.") + set, i),
                        "unknown capability " + quoted(name));
    }
  }
}

void check_process(const Process& p) {
  if (p.args.empty()) throw SpecError("process.args", "must be a non-empty array");
  if (p.args[0].empty()) throw SpecError("process.args[0]", "must not be empty");
  require_absolute("process.cwd", p.cwd);
  for (size_t i = 0; i < p.env.size(); ++i) {
    auto eq = p.env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      throw SpecError(indexed("process.env", i), "must have the form KEY=VALUE, got " + quoted(p.env[i]));
  }
  if (p.user.umask && *p.user.umask > 0777)
    throw SpecError("process.user.umask", "must be at most 0777 (511)");
  std::set<int> seen;
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const Rlimit& r = p.rlimits[i];
    if (!seen.insert(r.resource).second)
      throw SpecError(indexed("process.rlimits", i) + ".type", "duplicate rlimit " + quoted(r.name));
    if (r.soft > r.hard)
      throw SpecError(indexed("process.rlimits", i), "soft limit " + std::to_string(r.soft) +
                                                    " exceeds hard limit " + std::to_string(r.hard));
  }
  if (p.capabilities) check_capabilities(*p.capabilities);
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    throw SpecError("process.oomScoreAdj", "must be between -1000 and 1000");
}

void check_mounts(const std::vector<Mount>& mounts) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    const Mount& m = mounts[i];
    require_absolute(indexed("mounts", i) + ".destination", m.destination);
    if (m.type == "bind") {
      if (m.source.empty()) throw SpecError(indexed("mounts", i) + ".source", "a bind mount needs a source");
      require_absolute(indexed("mounts", i) + ".source", m.source);
    }
  }
}

void check_hooks(const Hooks& hooks) {
  const std::pair<const char*, const std::vector<Hook>*> lists[] = {
      {"prestart", &hooks.prestart},
      {"createRuntime", &hooks.create_runtime},
      {"createContainer", &hooks.create_container},
      {"startContainer", &hooks.start_container},
      {"poststart", &hooks.poststart},
      {"poststop", &hooks.poststop},
  };
  for (const auto& [name, list] : lists) {
    for (size_t i = 0; i < list->size(); ++i) {
      std::string field = indexed(std::string("hooks.") + name, i);
      require_absolute(field + ".path", (*list)[i].path);
      if ((*list)[i].timeout && *(*list)[i].timeout <= 0)
        throw SpecError(field + ".timeout", "must be greater than 0");
    }
  }
}

const Namespace* find_ns(const Linux& l, NamespaceType t) {
  for (const auto& ns : l.namespaces)
    if (ns.type == t) return &ns;
  return nullptr;
}

void check_mappings(const std::string& field, const std::vector<IdMapping>& maps) {
  for (size_t i = 0; i < maps.size(); ++i) {
    const IdMapping& m = maps[i];
    if (m.size == 0) throw SpecError(indexed(field, i) + ".size", "must be greater than 0");
    uint64_t end_c = uint64_t{m.container_id} + m.size, end_h = uint64_t{m.host_id} + m.size;
    if (end_c > (uint64_t{1} << 32) || end_h > (uint64_t{1} << 32))
      throw SpecError(indexed(field, i), "range exceeds the 32-bit id space");
  }
}

void check_namespaces(const Linux& l) {
  std::set<NamespaceType> seen;
  for (size_t i = 0; i < l.namespaces.size(); ++i) {
    const Namespace& ns = l.namespaces[i];
    if (!seen.insert(ns.type).second)
      throw SpecError(indexed("linux.namespaces", i) + ".type",
                      "duplicate namespace type " + quoted(namespace_name(ns.type)));
    if (!ns.path.empty()) require_absolute(indexed("linux.namespaces", i) + ".path", ns.path);
  }
  // The root is switched with pivot_root, which must never happen in the host's namespace.
  if (!find_ns(l, NamespaceType::mount))
    throw SpecError("linux.namespaces", "a mount namespace is required");
  const Namespace* user = find_ns(l, NamespaceType::user);
  if (!user) {
    if (!l.uid_mappings.empty())
      throw SpecError("linux.uidMappings", "requires a user namespace in linux.namespaces");
    if (!l.gid_mappings.empty())
      throw SpecError("linux.gidMappings", "requires a user namespace in linux.namespaces");
  } else if (user->path.empty()) {
    // A joined user namespace already has its maps; a new one is useless without them.
    if (l.uid_mappings.empty())
      throw SpecError("linux.uidMappings", "a new user namespace needs uid mappings");
    if (l.gid_mappings.empty())
      throw SpecError("linux.gidMappings", "a new user namespace needs gid mappings");
  }
  check_mappings("linux.uidMappings", l.uid_mappings);
  check_mappings("linux.gidMappings", l.gid_mappings);
}

// Only sysctls that live in a namespace the container owns may be set: anything else
// would change the host (the same rule runc applies).
void check_sysctls(const Linux& l) {
  static const std::set<std::string> ipc_keys = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const auto& [key, value] : l.sysctl) {
    std::string field = "linux.sysctl[" + quoted(key) + "]";
    std::string k = key;
    for (auto& c : k)
      if (c == '/') c = '.';
    bool bad = k.empty() || k.front() == '.' || k.back() == '.' || k.find("..") != std::string::npos;
    if (bad) throw SpecError(field, "invalid sysctl name");
    if (k == "kernel.hostname" || k == "kernel.domainname")
      throw SpecError(field, "use the hostname/domainname fields instead");
    if (ipc_keys.count(k) || k.starts_with("fs.mqueue.")) {
      if (!find_ns(l, NamespaceType::ipc)) throw SpecError(field, "requires an ipc namespace");
    } else if (k.starts_with("net.")) {
      if (!find_ns(l, NamespaceType::network)) throw SpecError(field, "requires a network namespace");
    } else {
      throw SpecError(field, "is not namespaced: setting it would change the host");
    }
  }
}

// linux.devices[].fileMode: permission bits, optionally with the file type bits of the
// node's type (podman --privileged passes st_mode as stat(2) gives it, e.g. 020666); the
// type bits are dropped when the node is made.
void check_device_file_mode(const std::string& field, uint32_t mode, char type) {
  auto octal = [](uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", v);
    return std::string(buf);
  };
  if (mode & ~static_cast<uint32_t>(S_IFMT | 07777))
    throw SpecError(field, "must be a permission mode (at most 07777), optionally with the file type bits of its type");
  uint32_t fmt = mode & S_IFMT;
  uint32_t expected = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  if (fmt != 0 && fmt != expected)
    throw SpecError(field, "file type bits " + octal(fmt) + " contradict type " + quoted(std::string(1, type)) +
                               " (" + octal(expected) + ")");
}

}  // namespace

void validate_process(const Process& process) { check_process(process); }

void validate_spec(const ContainerSpec& spec) {
  check_process(spec.process);
  if (spec.root.path.empty()) throw SpecError("root.path", "must not be empty");
  require_absolute("root.path", spec.root.path);
  // Longer than the kernel takes (ENAMETOOLONG), and too long to echo: refused here, whole.
  if (spec.root.path.size() >= PATH_MAX)
    throw SpecError("root.path", "is " + std::to_string(spec.root.path.size()) + " bytes long, more than a path can be (" +
                                     std::to_string(PATH_MAX - 1) + "), starting " + quoted(spec.root.path.substr(0, 64)));
  if (!spec.hostname.empty()) {
    if (!spec.has_namespace(NamespaceType::uts))
      throw SpecError("hostname", "requires a uts namespace in linux.namespaces");
    if (spec.hostname.size() > 64) throw SpecError("hostname", "must be at most 64 bytes");
  }
  if (!spec.domainname.empty()) {
    if (!spec.has_namespace(NamespaceType::uts))
      throw SpecError("domainname", "requires a uts namespace in linux.namespaces");
    if (spec.domainname.size() > 64) throw SpecError("domainname", "must be at most 64 bytes");
  }
  check_mounts(spec.mounts);
  check_hooks(spec.hooks);

  const Linux& l = spec.linux;
  check_namespaces(l);
  check_sysctls(l);
  if (l.resources) spec_detail::validate_resources(*l.resources);
  spec_detail::validate_cgroups_path(l.cgroups_path);
  for (size_t i = 0; i < l.devices.size(); ++i) {
    const DeviceNode& d = l.devices[i];
    std::string field = indexed("linux.devices", i);
    require_absolute(field + ".path", d.path);
    if (d.type != 'c' && d.type != 'b' && d.type != 'u' && d.type != 'p')
      throw SpecError(field + ".type", "unknown device type " + quoted(std::string(1, d.type)));
    if (d.major < 0 || d.minor < 0)
      throw SpecError(field, "major and minor must be non-negative");
    if (d.file_mode) check_device_file_mode(field + ".fileMode", *d.file_mode, d.type);
  }
  for (size_t i = 0; i < l.masked_paths.size(); ++i)
    require_absolute(indexed("linux.maskedPaths", i), l.masked_paths[i]);
  for (size_t i = 0; i < l.readonly_paths.size(); ++i)
    require_absolute(indexed("linux.readonlyPaths", i), l.readonly_paths[i]);
  if (l.seccomp) spec_detail::validate_seccomp(*l.seccomp);
  static const std::set<std::string> propagations = {
      "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};
  if (!propagations.count(l.rootfs_propagation))
    throw SpecError("linux.rootfsPropagation", "unknown propagation " + quoted(l.rootfs_propagation));

  const VcrunExtensions& x = spec.vcrun;
  if (x.cpu_reservation && !(std::isfinite(*x.cpu_reservation) && *x.cpu_reservation >= 0 &&
                             *x.cpu_reservation <= 1))
    throw SpecError("vcrun.cpu.reservation", "must be between 0 and 1");
  if (x.cpu_share && !(std::isfinite(*x.cpu_share) && *x.cpu_share >= 0))
    throw SpecError("vcrun.cpu.share", "must be a finite number >= 0");
  if (x.memory_high && *x.memory_high < -1)
    throw SpecError("vcrun.memory.high", "must be -1 (unlimited) or a number of bytes >= 0");
  if (x.memory_min && *x.memory_min < 0)
    throw SpecError("vcrun.memory.min", "must be a number of bytes >= 0");
  if (x.memory_min && x.memory_high && *x.memory_high >= 0 && *x.memory_min > *x.memory_high)
    throw SpecError("vcrun.memory.min", "must not exceed vcrun.memory.high");
  // Its addresses were parsed (and wildcards refused) where the list entered the spec.
  if (x.bind_allow && x.bind_allow->v4.size() + x.bind_allow->v6.size() > kMaxBindAllow)
    throw SpecError("vcrun.network.bindAllow", "at most " + std::to_string(kMaxBindAllow) + " addresses, got " +
                                                   std::to_string(x.bind_allow->v4.size() + x.bind_allow->v6.size()));
  spec_detail::validate_network(x.network, l);
}

}  // namespace vcrun
