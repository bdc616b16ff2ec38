// BPF instruction encoding and the bpf() commands vcrun uses on cgroups.
#include "base/bpf.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "vcrun/error.hpp"

namespace vcrun::bpf {

namespace {

long sys_bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

bpf_attr zeroed() {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);  // the kernel refuses nonzero bytes past the command's fields
  return attr;
}

UniqueFd prog_fd_by_id(uint32_t id) {
  bpf_attr attr = zeroed();
  attr.prog_id = id;
  return UniqueFd(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr)));
}

}  // namespace

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

bpf_insn ldx(uint8_t size, Reg dst, Reg src, int16_t off) { return insn(BPF_LDX | BPF_MEM | size, dst, src, off, 0); }
bpf_insn alu64_imm(uint8_t op, Reg dst, int32_t imm) { return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
bpf_insn alu64_reg(uint8_t op, Reg dst, Reg src) { return insn(BPF_ALU64 | op | BPF_X, dst, src, 0, 0); }
bpf_insn jmp_imm(uint8_t op, Reg dst, int32_t imm, int16_t off) { return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
bpf_insn mov32_imm(Reg dst, int32_t imm) { return insn(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn stx(uint8_t size, Reg dst, Reg src, int16_t off) { return insn(BPF_STX | BPF_MEM | size, dst, src, off, 0); }
bpf_insn jmp32_imm(uint8_t op, Reg dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
}
bpf_insn ja(int16_t off) { return insn(BPF_JMP | BPF_JA, 0, 0, off, 0); }

Assembler::Label Assembler::label() {
  targets_.push_back(-1);
  return targets_.size() - 1;
}

void Assembler::bind(Label l) { targets_[l] = static_cast<long>(insns_.size()); }

void Assembler::emit(bpf_insn i) { insns_.push_back(i); }

void Assembler::jump(bpf_insn i, Label l) {
  fixups_.emplace_back(insns_.size(), l);
  insns_.push_back(i);
}

void Assembler::ret(int value) {
  emit(alu64_imm(BPF_MOV, R0, value));
  emit(exit_insn());
}

std::vector<bpf_insn> Assembler::finish() {
  for (const auto& [at, l] : fixups_) {
    if (targets_[l] <= static_cast<long>(at)) throw std::logic_error("bpf: a jump that is not forward");
    long off = targets_[l] - static_cast<long>(at) - 1;
    if (off > INT16_MAX) throw std::logic_error("bpf: a jump longer than an instruction's 16-bit offset");
    insns_[at].off = static_cast<int16_t>(off);
  }
  return std::move(insns_);
}

UniqueFd load(bpf_prog_type type, std::span<const bpf_insn> insns, const std::string& name,
              const std::string& what, std::optional<bpf_attach_type> expected_attach_type) {
  static const char license[] = "GPL";
  auto try_load = [&](char* log, uint32_t log_size) {
    bpf_attr attr = zeroed();
    attr.prog_type = type;
    if (expected_attach_type) attr.expected_attach_type = *expected_attach_type;
    attr.insns = reinterpret_cast<uint64_t>(insns.data());
    attr.insn_cnt = static_cast<uint32_t>(insns.size());
    attr.license = reinterpret_cast<uint64_t>(license);
    std::strncpy(attr.prog_name, name.c_str(), sizeof attr.prog_name - 1);
    if (log) {
      attr.log_buf = reinterpret_cast<uint64_t>(log);
      attr.log_size = log_size;
      attr.log_level = 1;
    }
    return static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  };
  int fd = try_load(nullptr, 0);
  if (fd < 0 && errno == EPERM) {
    // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer ones use memcg.
    struct rlimit rl {RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_MEMLOCK, &rl) == 0) fd = try_load(nullptr, 0);
  }
  if (fd < 0) {
    int err = errno;
    std::string log(1 << 16, '\0');
    int again = try_load(log.data(), static_cast<uint32_t>(log.size()));
    if (again >= 0) ::close(again);
    log.resize(std::strlen(log.c_str()));
    throw Error("loading " + what + " failed: " + std::strerror(err) + (log.empty() ? "" : "; verifier log:\n" + log),
                err);
  }
  return UniqueFd(fd);
}

int attach(int cgroup_fd, int prog_fd, bpf_attach_type type, uint32_t flags) {
  bpf_attr attr = zeroed();
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = type;
  attr.attach_flags = flags;
  return sys_bpf(BPF_PROG_ATTACH, &attr) == 0 ? 0 : errno;
}

int replace(int cgroup_fd, int prog_fd, uint32_t old_prog_id, bpf_attach_type type) {
  UniqueFd old = prog_fd_by_id(old_prog_id);
  if (!old) return errno;
  bpf_attr attr = zeroed();
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = type;
  attr.attach_flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE;
  attr.replace_bpf_fd = static_cast<uint32_t>(old.get());
  return sys_bpf(BPF_PROG_ATTACH, &attr) == 0 ? 0 : errno;
}

int detach(int cgroup_fd, uint32_t prog_id, bpf_attach_type type) {
  UniqueFd prog = prog_fd_by_id(prog_id);
  if (!prog) return errno;
  bpf_attr attr = zeroed();
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = type;
  return sys_bpf(BPF_PROG_DETACH, &attr) == 0 ? 0 : errno;
}

std::optional<Attached> query(int cgroup_fd, bpf_attach_type type, uint32_t max) {
  Attached out;
  out.ids.resize(max);
  bpf_attr q = zeroed();
  q.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  q.query.attach_type = type;
  q.query.prog_ids = reinterpret_cast<uint64_t>(out.ids.data());
  q.query.prog_cnt = max;
  if (sys_bpf(BPF_PROG_QUERY, &q) != 0) return std::nullopt;
  out.ids.resize(std::min(q.query.prog_cnt, max));
  out.flags = q.query.attach_flags;
  return out;
}

std::string program_name(uint32_t id) {
  UniqueFd fd = prog_fd_by_id(id);
  if (!fd) return "";
  bpf_prog_info info;
  std::memset(&info, 0, sizeof info);
  bpf_attr attr = zeroed();
  attr.info.bpf_fd = static_cast<uint32_t>(fd.get());
  attr.info.info_len = sizeof info;
  attr.info.info = reinterpret_cast<uint64_t>(&info);
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) != 0) return "";
  return std::string(info.name, strnlen(info.name, sizeof info.name));
}

std::vector<uint32_t> attached_named(int cgroup_fd, bpf_attach_type type, const std::string& name) {
  std::vector<uint32_t> ids;
  auto attached = query(cgroup_fd, type, 64);
  if (!attached) return ids;
  for (uint32_t id : attached->ids)
    if (program_name(id) == name) ids.push_back(id);
  return ids;
}

void detach_own(int cgroup_fd, const OwnProgram& p, const std::string& path) {
  for (uint32_t id : attached_named(cgroup_fd, p.type, p.name)) {
    int err = detach(cgroup_fd, id, p.type);
    if (err != 0 && err != ENOENT) spdlog::warn("detaching {} ({}) from {}: {}", p.name, id, path, std::strerror(err));
  }
}

void detach_all_own(int cgroup_fd, const std::string& path) {
  detach_own(cgroup_fd, kDeviceProgram, path);
  for (const auto& p : kBindAllowPrograms) detach_own(cgroup_fd, p, path);
}

}  // namespace vcrun::bpf
