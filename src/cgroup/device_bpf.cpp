// Device rules -> BPF_PROG_TYPE_CGROUP_DEVICE program; loading and attaching it with bpf().
#include "cgroup/device_bpf.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0);
}
bpf_insn alu_k(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov_x(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jmp_k(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int access_mask(const std::string& access) {
  int m = 0;
  for (char c : access) {
    if (c == 'm') m |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') m |= BPF_DEVCG_ACC_READ;
    if (c == 'w') m |= BPF_DEVCG_ACC_WRITE;
  }
  return m;
}

constexpr int kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// Registers after the prologue: r2 = device type, r3 = requested access, r4 = major,
// r5 = minor (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type, major, minor).
enum : uint8_t { R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5 };

bool rule_matches(const DeviceRule& r, char type, int64_t major, int64_t minor, int req) {
  if (r.type != 'a' && r.type != type) return false;
  if (r.major >= 0 && r.major != major) return false;
  if (r.minor >= 0 && r.minor != minor) return false;
  int mask = access_mask(r.access);
  return r.allow ? (req & ~mask) == 0 : (req & mask) != 0;
}

long sys_bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::vector<DeviceRule> default_device_rules() {
  return {
      DeviceRule{true, 'c', -1, -1, "m"}, DeviceRule{true, 'b', -1, -1, "m"},
      DeviceRule{true, 'c', 1, 3, "rwm"},   // null
      DeviceRule{true, 'c', 1, 5, "rwm"},   // zero
      DeviceRule{true, 'c', 1, 7, "rwm"},   // full
      DeviceRule{true, 'c', 1, 8, "rwm"},   // random
      DeviceRule{true, 'c', 1, 9, "rwm"},   // urandom
      DeviceRule{true, 'c', 5, 0, "rwm"},   // tty
      DeviceRule{true, 'c', 5, 1, "rwm"},   // console
      DeviceRule{true, 'c', 5, 2, "rwm"},   // ptmx
      DeviceRule{true, 'c', 136, -1, "rwm"},  // pts/*
  };
}

std::vector<DeviceRule> effective_device_rules(const ContainerSpec& spec) {
  std::vector<DeviceRule> rules;
  if (spec.linux.resources) rules = spec.linux.resources->devices;
  // Nodes the spec asks vcrun to create are meant to be usable.
  for (const auto& d : spec.linux.devices)
    if (d.type == 'c' || d.type == 'b' || d.type == 'u')
      rules.push_back(DeviceRule{true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, "rwm"});
  for (auto& r : default_device_rules()) rules.push_back(r);
  return rules;
}

bool device_allowed(const std::vector<DeviceRule>& rules, char type, int64_t major, int64_t minor,
                    const std::string& access) {
  int req = access_mask(access);
  for (auto it = rules.rbegin(); it != rules.rend(); ++it)
    if (rule_matches(*it, type, major, minor, req)) return it->allow;
  return false;
}

std::vector<bpf_insn> generate_device_program(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> prog = {
      ldx_w(R2, R1, 0),  alu_k(BPF_AND, R2, 0xffff), ldx_w(R3, R1, 0),
      alu_k(BPF_RSH, R3, 16), ldx_w(R4, R1, 4),     ldx_w(R5, R1, 8),
  };
  // Last rule wins: test from the end, return at the first match. A rule that matches every
  // request (any type and number, all of "rwm") decides alone: the rules before it are dead
  // code the verifier refuses ("unreachable insn"), and so is the final deny (runc's
  // generator stops at such a wildcard too).
  bool catch_all = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !catch_all; ++it) {
    const DeviceRule& r = *it;
    int mask = access_mask(r.access);
    catch_all = r.type == 'a' && r.major < 0 && r.minor < 0 && (mask & kAllAccess) == kAllAccess;
    std::vector<bpf_insn> block;  // jumps use off = -1 as "to the end of this block"
    if (r.type == 'c' || r.type == 'b')
      block.push_back(jmp_k(BPF_JNE, R2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, -1));
    if (r.allow && (mask & kAllAccess) != kAllAccess) {
      block.push_back(mov_x(R1, R3));
      block.push_back(alu_k(BPF_AND, R1, ~mask & kAllAccess));
      block.push_back(jmp_k(BPF_JNE, R1, 0, -1));
    } else if (!r.allow) {
      if (mask == 0) continue;  // denies nothing
      if ((mask & kAllAccess) != kAllAccess) {
        block.push_back(mov_x(R1, R3));
        block.push_back(alu_k(BPF_AND, R1, mask));
        block.push_back(jmp_k(BPF_JEQ, R1, 0, -1));
      }
    }
    if (r.major >= 0) block.push_back(jmp_k(BPF_JNE, R4, static_cast<int32_t>(r.major), -1));
    if (r.minor >= 0) block.push_back(jmp_k(BPF_JNE, R5, static_cast<int32_t>(r.minor), -1));
    block.push_back(alu_k(BPF_MOV, R0, r.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t i = 0; i < block.size(); ++i)
      if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT && block[i].off == -1)
        block[i].off = static_cast<int16_t>(block.size() - 1 - i);
    prog.insert(prog.end(), block.begin(), block.end());
  }
  if (!catch_all) {  // no rule matched: deny
    prog.push_back(alu_k(BPF_MOV, R0, 0));
    prog.push_back(exit_insn());
  }
  return prog;
}

bool is_default_device_policy(const std::vector<DeviceRule>& rules) {
  auto deny_all = [](const DeviceRule& r) {
    return !r.allow && r.type == 'a' && r.major < 0 && r.minor < 0 && access_mask(r.access) == kAllAccess;
  };
  auto live = std::find_if(rules.rbegin(), rules.rend(), deny_all).base();
  auto defaults = default_device_rules();
  return std::equal(live, rules.end(), defaults.begin(), defaults.end(), [](const auto& a, const auto& b) {
    return a.allow == b.allow && a.type == b.type && a.major == b.major && a.minor == b.minor &&
           access_mask(a.access) == access_mask(b.access);
  });
}

namespace {

// "vcrun_dev_" + 5 hex digits of a hash of the instructions (BPF_OBJ_NAME_LEN is 16): tells
// our default program, and which version of it, from anything else attached to a parent.
std::string default_program_name(const std::vector<bpf_insn>& program) {
  uint32_t h = 2166136261u;  // FNV-1a
  const auto* bytes = reinterpret_cast<const unsigned char*>(program.data());
  for (size_t i = 0; i < program.size() * sizeof(bpf_insn); ++i) h = (h ^ bytes[i]) * 16777619u;
  char name[16];
  std::snprintf(name, sizeof name, "vcrun_dev_%05x", h & 0xfffff);
  return name;
}

UniqueFd load_program(const std::vector<bpf_insn>& program, const std::string& name,
                      const std::string& cgroup_path) {
  static const char license[] = "GPL";
  auto load = [&](char* log, uint32_t log_size) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = reinterpret_cast<uint64_t>(program.data());
    attr.insn_cnt = static_cast<uint32_t>(program.size());
    attr.license = reinterpret_cast<uint64_t>(license);
    std::strncpy(attr.prog_name, name.c_str(), sizeof attr.prog_name - 1);
    if (log) {
      attr.log_buf = reinterpret_cast<uint64_t>(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  };
  int fd = load(nullptr, 0);
  if (fd < 0 && errno == EPERM) {
    // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer ones use memcg.
    struct rlimit rl {RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_MEMLOCK, &rl) == 0) fd = load(nullptr, 0);
  }
  if (fd < 0) {
    int err = errno;
    std::string log(1 << 16, '\0');
    int again = load(log.data(), static_cast<uint32_t>(log.size()));
    if (again >= 0) ::close(again);
    log.resize(std::strlen(log.c_str()));
    throw Error("linux.resources.devices: loading the device BPF program for " + cgroup_path +
                    " failed: " + std::strerror(err) + (log.empty() ? "" : "; verifier log:\n" + log),
                err);
  }
  return UniqueFd(fd);
}

int attach(int cgroup_fd, int prog_fd, uint32_t flags) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  return static_cast<int>(sys_bpf(BPF_PROG_ATTACH, &attr));
}

// The name of the program with kernel id `id` ("" when it is gone meanwhile).
std::string program_name(uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  UniqueFd fd(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
  if (!fd) return "";
  bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  std::memset(&attr, 0, sizeof attr);
  attr.info.bpf_fd = static_cast<uint32_t>(fd.get());
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uint64_t>(&info);
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) != 0) return "";
  return std::string(info.name, strnlen(info.name, sizeof info.name));
}

// The ids (at most `max`) of the device programs attached to the cgroup at fd, and the
// attach flags; nullopt when the kernel cannot say.
std::optional<std::vector<uint32_t>> query_device_programs(int fd, uint32_t max,
                                                           uint32_t& flags) {
  std::vector<uint32_t> ids(max);
  bpf_attr q;
  std::memset(&q, 0, sizeof q);
  q.query.target_fd = static_cast<uint32_t>(fd);
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
  q.query.prog_cnt = max;
  if (sys_bpf(BPF_PROG_QUERY, &q) != 0) return std::nullopt;
  ids.resize(std::min(q.query.prog_cnt, max));
  flags = q.query.attach_flags;
  return ids;
}

}  // namespace

UniqueFd load_device_program(const std::vector<bpf_insn>& program, const std::string& what) {
  return load_program(program, "vcrun_dev", what);
}

bool ensure_inherited_default_program(int parent_fd, const std::string& parent_path) {
  uint32_t flags = 0;
  auto ids = query_device_programs(parent_fd, 4, flags);
  if (!ids) return false;
  auto program = generate_device_program(default_device_rules());
  std::string name = default_program_name(program);
  if (ids->size() > 1 || (ids->size() == 1 && flags != BPF_F_ALLOW_OVERRIDE)) return false;
  if (ids->size() == 1) {
    std::string current = program_name(ids->front());
    if (current == name) return true;
    if (current.rfind("vcrun_dev_", 0) != 0) return false;  // someone else's
  }
  // None yet, or another vcrun version's: attach ours (an override attach replaces).
  UniqueFd prog = load_program(program, name, parent_path);
  if (attach(parent_fd, prog.get(), BPF_F_ALLOW_OVERRIDE) != 0) {
    spdlog::debug("cgroup: cannot attach the default device program to {}: {}", parent_path,
                  std::strerror(errno));
    return false;
  }
  spdlog::debug("cgroup: default device program {} attached to {} for inheritance", name, parent_path);
  return true;
}

void attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& program,
                           const std::string& cgroup_path) {
  UniqueFd prog = load_program(program, "vcrun_dev", cgroup_path);
  if (attach(cgroup_fd, prog.get(), BPF_F_ALLOW_MULTI) != 0)
    throw_errno("linux.resources.devices: attaching the device BPF program to " + cgroup_path);
  spdlog::debug("cgroup: device program ({} instructions) attached to {}", program.size(), cgroup_path);
}

void detach_device_programs(int cgroup_fd, const std::string& cgroup_path) {
  uint32_t flags = 0;
  auto ids = query_device_programs(cgroup_fd, 64, flags);
  if (!ids) return;
  for (uint32_t id : *ids) {
    if (program_name(id) != "vcrun_dev") continue;
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_id = id;
    UniqueFd prog(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
    if (!prog) continue;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cgroup_fd);
    attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, &attr) != 0)
      spdlog::debug("cgroup: detaching device program {} from {}: {}", id, cgroup_path, std::strerror(errno));
  }
}

}  // namespace vcrun::cgroup
