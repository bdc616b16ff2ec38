// Semantic checks for linux.resources and linux.seccomp (ranges the kernel would reject
// later with a less helpful EINVAL), each error naming the config.json field.

#include "base/cpu_list.hpp"
#include "base/text.hpp"
#include "cgroup/device_bpf.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/spec/validate.hpp"
#include "vcrun/error.hpp"

namespace vcrun::spec_detail {

namespace {

// "2MB", "1GB", "64KB": the unit the hugetlb controller's file names use.
bool valid_page_size(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0) return false;
  std::string unit = s.substr(i);
  return unit == "B" || unit == "KB" || unit == "MB" || unit == "GB" || unit == "TB" || unit == "PB";
}

void bytes_or_unlimited(const std::string& field, const std::optional<int64_t>& v) {
  if (v && *v < -1) throw SpecError(field, "must be -1 (unlimited) or a number of bytes >= 0");
}

void check_memory(const MemoryResources& m) {
  const std::string f = "linux.resources.memory.";
  bytes_or_unlimited(f + "limit", m.limit);
  bytes_or_unlimited(f + "reservation", m.reservation);
  bytes_or_unlimited(f + "swap", m.swap);
  bytes_or_unlimited(f + "kernel", m.kernel);
  bytes_or_unlimited(f + "kernelTCP", m.kernel_tcp);
  if (m.limit && *m.limit > 0 && m.reservation && *m.reservation > *m.limit)
    throw SpecError(f + "reservation", "must not exceed memory.limit");
  // OCI's swap is memory+swap, so it cannot be below the memory limit.
  if (m.limit && *m.limit > 0 && m.swap && *m.swap > 0 && *m.swap < *m.limit)
    throw SpecError(f + "swap", "must be at least memory.limit (it counts memory plus swap)");
  if (m.swappiness && *m.swappiness > 100)
    throw SpecError(f + "swappiness", "must be between 0 and 100");
}

// 0 means "unset" for shares, quota and period, as in runc.
void check_cpu(const CpuResources& c) {
  const std::string f = "linux.resources.cpu.";
  if (c.shares && *c.shares != 0 && (*c.shares < 2 || *c.shares > 262144))
    throw SpecError(f + "shares", "must be between 2 and 262144 (0: unset)");
  if (c.quota && *c.quota != 0 && *c.quota != -1 && *c.quota < 1000)
    throw SpecError(f + "quota", "must be -1 (unlimited) or at least 1000 microseconds (0: unset)");
  if (c.period && *c.period != 0 && (*c.period < 1000 || *c.period > 1000000))
    throw SpecError(f + "period", "must be between 1000 and 1000000 microseconds (0: unset)");
  if (c.burst && *c.burst > 0) {
    if (!c.quota || *c.quota <= 0) throw SpecError(f + "burst", "requires a cpu.quota");
    if (*c.burst > static_cast<uint64_t>(*c.quota))
      throw SpecError(f + "burst", "must not exceed cpu.quota");
  }
  if (c.realtime_runtime && *c.realtime_runtime < -1)
    throw SpecError(f + "realtimeRuntime", "must be -1 or >= 0");
  if (!cpu_list::parse(c.cpus)) throw SpecError(f + "cpus", "invalid CPU list " + quoted(c.cpus));
  if (!cpu_list::parse(c.mems)) throw SpecError(f + "mems", "invalid memory node list " + quoted(c.mems));
}

void check_weight(const std::string& field, const std::optional<uint16_t>& w) {
  if (w && *w != 0 && (*w < 10 || *w > 1000))
    throw SpecError(field, "must be between 10 and 1000 (0: unset)");
}

void check_device_numbers(const std::string& field, int64_t major, int64_t minor) {
  if (major < 0 || minor < 0) throw SpecError(field, "major and minor must be non-negative");
}

void check_block_io(const BlockIoResources& b) {
  const std::string f = "linux.resources.blockIO.";
  check_weight(f + "weight", b.weight);
  check_weight(f + "leafWeight", b.leaf_weight);
  for (size_t i = 0; i < b.weight_device.size(); ++i) {
    const WeightDevice& w = b.weight_device[i];
    std::string field = indexed(f + "weightDevice", i);
    check_device_numbers(field, w.major, w.minor);
    check_weight(field + ".weight", w.weight);
    check_weight(field + ".leafWeight", w.leaf_weight);
  }
  const std::pair<const char*, const std::vector<ThrottleDevice>*> lists[] = {
      {"throttleReadBpsDevice", &b.throttle_read_bps},
      {"throttleWriteBpsDevice", &b.throttle_write_bps},
      {"throttleReadIOPSDevice", &b.throttle_read_iops},
      {"throttleWriteIOPSDevice", &b.throttle_write_iops},
  };
  for (const auto& [name, list] : lists)
    for (size_t i = 0; i < list->size(); ++i)
      check_device_numbers(indexed(f + name, i), (*list)[i].major, (*list)[i].minor);
}

bool takes_errno(SeccompAction a) {
  return a == SeccompAction::errno_ret || a == SeccompAction::trace;
}

// SCMP_ACT_NOTIFY: the init loads the filter, then hands the listener fd to the runtime
// with sendmsg, and the runtime hands it to the agent at listenerPath. A notification
// before that handover would wait for an agent that never gets the fd (runc refuses the
// same: notify as the default action, and on its own handover call, write).
void validate_seccomp_notify(const Seccomp& s) {
  if (s.default_action == SeccompAction::notify)
    throw SpecError("linux.seccomp.defaultAction",
                    "SCMP_ACT_NOTIFY cannot be the default action (the listener fd could not "
                    "reach the agent)");
  std::string first_notify;
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompRule& r = s.syscalls[i];
    if (r.action != SeccompAction::notify) continue;
    if (first_notify.empty()) first_notify = indexed("linux.seccomp.syscalls", i);
    for (size_t j = 0; j < r.names.size(); ++j)
      if (r.names[j] == "sendmsg")
        throw SpecError(indexed(indexed("linux.seccomp.syscalls", i) + ".names", j),
                        "SCMP_ACT_NOTIFY cannot trap sendmsg: the listener fd is handed over "
                        "with it");
  }
  const std::string field = "linux.seccomp.listenerPath";
  if (!first_notify.empty() && s.listener_path.empty())
    throw SpecError(field, "is required by SCMP_ACT_NOTIFY in " + first_notify +
                               " (the seccomp agent that receives the listener fd)");
  if (s.listener_path.empty()) return;
  if (s.listener_path[0] != '/') throw SpecError(field, "must be an absolute path");
  // sockaddr_un.sun_path holds 108 bytes with the terminating NUL.
  if (s.listener_path.size() > 107)
    throw SpecError(field, "is longer than a unix socket path can be (107 bytes)");
}

}  // namespace

void validate_resources(const Resources& r) {
  // Refused before anything is made: the program would cost the verifier seconds, then fail.
  if (r.devices.size() > cgroup::kMaxDeviceRules)
    throw SpecError("linux.resources.devices", "has " + std::to_string(r.devices.size()) + " rules, more than " +
                                                   std::to_string(cgroup::kMaxDeviceRules) +
                                                   " (each is verified by the kernel as part of one BPF program)");
  for (size_t i = 0; i < r.devices.size(); ++i) {
    const DeviceRule& d = r.devices[i];
    std::string field = indexed("linux.resources.devices", i);
    if (d.type != 'a' && d.type != 'c' && d.type != 'b')
      throw SpecError(field + ".type", "unknown device type " + quoted(std::string(1, d.type)));
    if (d.major < -1 || d.minor < -1)
      throw SpecError(field, "major and minor must be -1 (any) or non-negative");
    if (d.access.find_first_not_of("rwm") != std::string::npos)
      throw SpecError(field + ".access", "must contain only the letters r, w and m, got " +
                                             quoted(d.access));
  }
  if (r.memory) check_memory(*r.memory);
  if (r.cpu) check_cpu(*r.cpu);
  if (r.pids_limit && *r.pids_limit < -1)
    throw SpecError("linux.resources.pids.limit", "must be -1 (unlimited) or >= 0");
  if (r.block_io) check_block_io(*r.block_io);
  for (size_t i = 0; i < r.hugepage_limits.size(); ++i)
    if (!valid_page_size(r.hugepage_limits[i].page_size))
      throw SpecError(indexed("linux.resources.hugepageLimits", i) + ".pageSize",
                      "invalid page size " + quoted(r.hugepage_limits[i].page_size) +
                          " (expected e.g. \"2MB\")");
  // Keys become file names inside the container's cgroup directory.
  for (const auto& [key, value] : r.unified) {
    auto dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size() ||
        key.find('/') != std::string::npos)
      throw SpecError("linux.resources.unified[" + quoted(key) + "]",
                      "invalid cgroup file name (expected \"<controller>.<file>\")");
  }
}

void validate_seccomp(const Seccomp& s) {
  if (s.default_errno_ret && !takes_errno(s.default_action))
    throw SpecError("linux.seccomp.defaultErrnoRet",
                    "only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
  for (size_t i = 0; i < s.architectures.size(); ++i)
    if (!s.architectures[i].starts_with("SCMP_ARCH_"))
      throw SpecError(indexed("linux.seccomp.architectures", i),
                      "unknown architecture " + quoted(s.architectures[i]));
  for (size_t i = 0; i < s.flags.size(); ++i)
    if (!security::known_seccomp_flag(s.flags[i]))
      throw SpecError(indexed("linux.seccomp.flags", i), "unknown seccomp flag " + quoted(s.flags[i]));
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const SeccompRule& r = s.syscalls[i];
    std::string field = indexed("linux.seccomp.syscalls", i);
    if (r.names.empty()) throw SpecError(field + ".names", "must be a non-empty array");
    for (size_t j = 0; j < r.names.size(); ++j)
      if (r.names[j].empty()) throw SpecError(indexed(field + ".names", j), "must not be empty");
    if (r.errno_ret && !takes_errno(r.action))
      throw SpecError(field + ".errnoRet", "only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
    for (size_t j = 0; j < r.args.size(); ++j)
      if (r.args[j].index > 5)
        throw SpecError(indexed(field + ".args", j) + ".index", "must be between 0 and 5");
  }
  validate_seccomp_notify(s);
}

}  // namespace vcrun::spec_detail
