// Device rules -> BPF_PROG_TYPE_CGROUP_DEVICE program, and which program a cgroup gets.
#include "cgroup/device_bpf.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "base/bpf.hpp"
#include "base/fd.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

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

// Each rule's block loads the fields it tests from the context (r1, struct
// bpf_cgroup_dev_ctx: access_type = access << 16 | type, major, minor) into r2 = type,
// r3 = access, r4 = major, r5 = minor. Loaded per block, not once: a register a test has
// narrowed (r2 == BPF_DEVCG_DEV_CHAR on one path, unknown on another) is then dead where
// the next block starts, so the verifier's states there are all alike and prune. With
// one load up front each rule multiplied the states: 256 rules took ~0.8 s, 1,000 rules
// ~17 s and then E2BIG; now the verifier's work grows linearly with the rules.
using bpf::R1, bpf::R2, bpf::R3, bpf::R4, bpf::R5;
using bpf::alu64_imm, bpf::jmp_imm, bpf::ldx;

bool rule_matches(const DeviceRule& r, char type, int64_t major, int64_t minor, int req) {
  if (r.type != 'a' && r.type != type) return false;
  if (r.major >= 0 && r.major != major) return false;
  if (r.minor >= 0 && r.minor != minor) return false;
  int mask = access_mask(r.access);
  return r.allow ? (req & ~mask) == 0 : (req & mask) != 0;
}

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
  // linux.devices only creates nodes: access to them is what these rules say, as in runc
  // and crun (the engines add a rule for each device they pass). An automatic allow would
  // let a listed /dev/kmsg through a deny-all policy.
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
  bpf::Assembler a;
  // Last rule wins: test from the end, return at the first match. A rule that matches every
  // request (any type and number, all of "rwm") decides alone: the rules before it are dead
  // code the verifier refuses ("unreachable insn"), and so is the final deny (runc's
  // generator stops at such a wildcard too).
  bool catch_all = false;
  for (auto it = rules.rbegin(); it != rules.rend() && !catch_all; ++it) {
    const DeviceRule& r = *it;
    int mask = access_mask(r.access);
    catch_all = r.type == 'a' && r.major < 0 && r.minor < 0 && (mask & kAllAccess) == kAllAccess;
    if (!r.allow && mask == 0) continue;  // denies nothing
    auto next = a.label();  // the next rule's block: this one does not match
    if (r.type == 'c' || r.type == 'b') {
      a.emit(ldx(BPF_W, R2, R1, 0));
      a.emit(alu64_imm(BPF_AND, R2, 0xffff));
      a.jump(jmp_imm(BPF_JNE, R2, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0), next);
    }
    if ((mask & kAllAccess) != kAllAccess) {
      // allow: no requested bit outside the rule's; deny: some requested bit in it.
      a.emit(ldx(BPF_W, R3, R1, 0));
      a.emit(alu64_imm(BPF_RSH, R3, 16));
      a.emit(alu64_imm(BPF_AND, R3, r.allow ? ~mask & kAllAccess : mask));
      a.jump(jmp_imm(r.allow ? BPF_JNE : BPF_JEQ, R3, 0, 0), next);
    }
    if (r.major >= 0) {
      a.emit(ldx(BPF_W, R4, R1, 4));
      a.jump(jmp_imm(BPF_JNE, R4, static_cast<int32_t>(r.major), 0), next);
    }
    if (r.minor >= 0) {
      a.emit(ldx(BPF_W, R5, R1, 8));
      a.jump(jmp_imm(BPF_JNE, R5, static_cast<int32_t>(r.minor), 0), next);
    }
    a.ret(r.allow ? 1 : 0);
    a.bind(next);
  }
  if (!catch_all) a.ret(0);  // no rule matched: deny
  return a.finish();
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
  try {
    return bpf::load(BPF_PROG_TYPE_CGROUP_DEVICE, program, name, "the device BPF program for " + cgroup_path);
  } catch (const Error& e) {
    throw e.with_context("linux.resources.devices");
  }
}

}  // namespace

UniqueFd load_device_program(const std::vector<bpf_insn>& program, const std::string& what) {
  return load_program(program, bpf::kDeviceProgram.name, what);
}

bool ensure_inherited_default_program(int parent_fd, const std::string& parent_path) {
  auto attached = bpf::query(parent_fd, BPF_CGROUP_DEVICE, 4);
  if (!attached) return false;
  auto program = generate_device_program(default_device_rules());
  std::string name = default_program_name(program);
  const auto& ids = attached->ids;
  if (ids.size() > 1 || (ids.size() == 1 && attached->flags != BPF_F_ALLOW_OVERRIDE)) return false;
  if (ids.size() == 1) {
    std::string current = bpf::program_name(ids.front());
    if (current == name) return true;
    if (current.rfind("vcrun_dev_", 0) != 0) return false;  // someone else's
  }
  // None yet, or another vcrun version's: attach ours (an override attach replaces).
  UniqueFd prog = load_program(program, name, parent_path);
  if (int err = bpf::attach(parent_fd, prog.get(), BPF_CGROUP_DEVICE, BPF_F_ALLOW_OVERRIDE)) {
    spdlog::debug("cgroup: cannot attach the default device program to {}: {}", parent_path,
                  std::strerror(err));
    return false;
  }
  spdlog::debug("cgroup: default device program {} attached to {} for inheritance", name, parent_path);
  return true;
}

void attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& program,
                           const std::string& cgroup_path) {
  UniqueFd prog = load_program(program, bpf::kDeviceProgram.name, cgroup_path);
  if (int err = bpf::attach(cgroup_fd, prog.get(), BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI))
    throw_errno("linux.resources.devices: attaching the device BPF program to " + cgroup_path, err);
  spdlog::debug("cgroup: device program ({} instructions) attached to {}", program.size(), cgroup_path);
}

}  // namespace vcrun::cgroup
