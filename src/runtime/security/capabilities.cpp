// Capability sets: names -> masks (libcap-ng's table), the parent-side consistency check,
// and the raw capset/prctl sequence that makes the five sets exact.
//
// libcap-ng is used for names only: its capng_apply() keeps a process-global cache, skips
// the bounding set silently when CAP_SETPCAP is missing and folds three syscalls into one
// return code. The kernel interface is three calls, so we make them ourselves and know
// which one failed.
#include "runtime/security/capabilities.hpp"

#include <cap-ng.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/fs_util.hpp"
#include "runtime/security/capability_sets.hpp"
#include "vcrun/error.hpp"

namespace vcrun::security {

namespace {

std::string cap_name(unsigned cap) {
  const char* n = capng_capability_to_name(cap);
  std::string s = n ? n : "cap_" + std::to_string(cap);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "CAP_" + s;
}

std::string first_name(uint64_t mask) {
  for (unsigned c = 0; c < 64; ++c)
    if (mask & (1ULL << c)) return cap_name(c);
  return "";
}

void capset_raw(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  if (::syscall(SYS_capset, &hdr, data) != 0) throw_errno("process.capabilities: capset");
}

}  // namespace

unsigned last_capability() {
  static const unsigned last = [] {
    unsigned v = CAP_LAST_CAP;
    try {
      v = static_cast<unsigned>(std::stoul(read_file("/proc/sys/kernel/cap_last_cap")));
    } catch (const std::exception&) {
      // Very old kernels lack the file: the headers' value is the best guess.
    }
    return v > 63 ? 63U : v;
  }();
  return last;
}

std::vector<std::string> known_capabilities() {
  std::vector<std::string> names;
  for (unsigned cap = 0; cap <= last_capability(); ++cap)
    if (capng_capability_to_name(cap)) names.push_back(cap_name(cap));
  return names;
}

uint64_t capability_mask(const std::vector<std::string>& names, const std::string& field) {
  uint64_t mask = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    int cap = -1;
    if (name.size() > 4 && strncasecmp(name.c_str(), "CAP_", 4) == 0)
      cap = capng_name_to_capability(name.c_str() + 4);
    if (cap < 0)
      throw SpecError(field + "[" + std::to_string(i) + "]", "unknown capability \"" + name + "\"");
    if (static_cast<unsigned>(cap) > last_capability()) {
      spdlog::warn("{}[{}]: {} is unknown to this kernel, ignored", field, i, name);
      continue;
    }
    mask |= 1ULL << cap;
  }
  return mask;
}

CapabilitySets resolve_capabilities(const Process& process) {
  CapabilitySets s;
  if (!process.capabilities) return s;
  const Capabilities& c = *process.capabilities;
  s.bounding = capability_mask(c.bounding, "process.capabilities.bounding");
  s.effective = capability_mask(c.effective, "process.capabilities.effective");
  s.permitted = capability_mask(c.permitted, "process.capabilities.permitted");
  s.inheritable = capability_mask(c.inheritable, "process.capabilities.inheritable");
  s.ambient = capability_mask(c.ambient, "process.capabilities.ambient");
  // The kernel raises an ambient capability only when it is permitted and inheritable;
  // the others are skipped, as runc and crun do (check_capabilities warns about them).
  s.ambient &= s.permitted & s.inheritable;
  return s;
}

void check_capabilities(const Process& process) {
  CapabilitySets s = resolve_capabilities(process);
  // Each rule is one the kernel enforces in capset/prctl; failing here names the cap
  // instead of an EPERM from inside the container's init.
  if (uint64_t bad = s.effective & ~s.permitted)
    throw SpecError("process.capabilities.effective",
                    first_name(bad) + " is not in the permitted set");
  if (uint64_t bad = s.inheritable & ~s.bounding)
    throw SpecError("process.capabilities.inheritable",
                    first_name(bad) + " is not in the bounding set");
  // `runc spec` and `crun spec` write ambient capabilities that are not inheritable, and
  // buildah writes eleven on every step; runc and crun run such specs silently. vcrun too,
  // with one line under --debug.
  uint64_t asked = process.capabilities ? capability_mask(process.capabilities->ambient,
                                                          "process.capabilities.ambient")
                                         : 0;
  if (uint64_t skipped = asked & ~s.ambient; skipped && spdlog::should_log(spdlog::level::debug)) {
    std::string names;
    for (unsigned cap = 0; cap < 64; ++cap)
      if (skipped & (1ULL << cap)) names += (names.empty() ? "" : ", ") + cap_name(cap);
    spdlog::debug("process.capabilities.ambient: not in both the permitted and inheritable sets, "
                  "not raised: {}", names);
  }
}

uint64_t current_permitted() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) throw_errno("capget");
  return data[0].permitted | (static_cast<uint64_t>(data[1].permitted) << 32);
}

void raise_effective_to_permitted() {
  uint64_t p = current_permitted();
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) throw_errno("capget");
  capset_raw(p, p, data[0].inheritable | (static_cast<uint64_t>(data[1].inheritable) << 32));
}

void apply_capability_sets(const CapabilitySets& s) {
  // Order matters, each step needs what the previous one leaves:
  // 1. inheritable first while the bounding set is still full (the kernel requires
  //    new inheritable ⊆ old inheritable ∪ bounding) and CAP_SETPCAP is effective;
  uint64_t p = current_permitted();
  capset_raw(p, p, s.inheritable);
  // 2. bounding: PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, still there;
  for (unsigned cap = 0; cap <= last_capability(); ++cap)
    if (!(s.bounding & (1ULL << cap)) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      throw_errno("process.capabilities.bounding: dropping " + cap_name(cap));
  // 3. ambient: raising needs the cap in permitted and inheritable, both still supersets;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    throw_errno("process.capabilities.ambient: clear");
  for (unsigned cap = 0; cap <= last_capability(); ++cap)
    if ((s.ambient & (1ULL << cap)) &&
        ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      throw_errno("process.capabilities.ambient: raising " + cap_name(cap));
  // 4. permitted and effective last: shrinking needs no privilege, and the kernel drops
  //    from ambient anything no longer in permitted ∩ inheritable (check_capabilities
  //    rejects such specs, so nothing is lost here).
  capset_raw(s.effective, s.permitted, s.inheritable);
}

}  // namespace vcrun::security
