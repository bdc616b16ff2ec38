// BPF programs from C++: instruction encoding and assembly with labels, loading with bpf(BPF_PROG_LOAD), attaching to and detaching from cgroups.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"

namespace vcrun::bpf {

// Registers: R0 the return value, R1 the context on entry, R10 the read-only frame pointer.
enum Reg : uint8_t { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

// Pure: one instruction (no 64-bit immediates, which take two).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm);
// dst = *(size *)(src + off); size is BPF_B, BPF_H, BPF_W or BPF_DW.
bpf_insn ldx(uint8_t size, Reg dst, Reg src, int16_t off);
// dst = dst op imm (64-bit ALU; op BPF_MOV sets dst = imm).
bpf_insn alu64_imm(uint8_t op, Reg dst, int32_t imm);
// dst = dst op src (64-bit ALU; op BPF_MOV copies src).
bpf_insn alu64_reg(uint8_t op, Reg dst, Reg src);
// if (dst op imm) skip `off` instructions.
bpf_insn jmp_imm(uint8_t op, Reg dst, int32_t imm, int16_t off);
// return R0.
bpf_insn exit_insn();
// dst = imm as a 32-bit ALU operation: the upper half of dst becomes 0 (no sign extension).
bpf_insn mov32_imm(Reg dst, int32_t imm);
// *(size *)(dst + off) = src. Context stores must come from a register: the verifier
// refuses BPF_ST (store of an immediate) into the context.
bpf_insn stx(uint8_t size, Reg dst, Reg src, int16_t off);
// if ((u32)dst op (u32)imm) skip `off` instructions (BPF_JMP32, kernel 5.1): compares the
// low halves only, so a 32-bit field loaded with ldx(BPF_W) (zero-extended) matches an imm
// with its top bit set, which jmp_imm would sign-extend to 64 bits.
bpf_insn jmp32_imm(uint8_t op, Reg dst, int32_t imm, int16_t off);
// goto +off.
bpf_insn ja(int16_t off);

// A program written top to bottom with forward jumps to labels: a jump is emitted before
// its target is known and gets its offset in finish(), so no offset is counted by hand.
class Assembler {
 public:
  using Label = size_t;
  // A new label, bound later (bind) at the next instruction to be emitted.
  Label label();
  void bind(Label l);
  void emit(bpf_insn i);
  // Emits `i` (a conditional jump or ja) with its offset to be set to reach `l`.
  void jump(bpf_insn i, Label l);
  // R0 = value; exit.
  void ret(int value);
  // The instructions with every jump's offset set. std::logic_error for a jump whose label
  // is unbound or not after it (a generator's bug: the verifier accepts no backward jump).
  std::vector<bpf_insn> finish();

 private:
  std::vector<bpf_insn> insns_;
  std::vector<long> targets_;
  std::vector<std::pair<size_t, Label>> fixups_;
};

// Loads `insns` as a program of `type` named `name` (the kernel keeps BPF_OBJ_NAME_LEN - 1
// characters; bpftool and BPF_OBJ_GET_INFO_BY_FD show it). Program types whose verifier
// checks depend on the hook (sock_addr: BPF_CGROUP_INET4_BIND ...) need the
// `expected_attach_type`. Throws Error("loading <what> failed: <strerror>; verifier
// log:\n...", errno); the verifier runs a second time for the log only when the first
// load failed, so a good program costs one verification. The fd, like every fd bpf()
// returns, is O_CLOEXEC.
UniqueFd load(bpf_prog_type type, std::span<const bpf_insn> insns, const std::string& name,
              const std::string& what, std::optional<bpf_attach_type> expected_attach_type = std::nullopt);

// BPF_PROG_ATTACH of `prog_fd` to the cgroup directory `cgroup_fd` at hook `type`, with
// `flags` (0, BPF_F_ALLOW_OVERRIDE or BPF_F_ALLOW_MULTI). Returns 0 or the errno. The
// attachment lives as long as the cgroup, whoever holds `prog_fd`.
int attach(int cgroup_fd, int prog_fd, bpf_attach_type type, uint32_t flags);

// Atomically puts `prog_fd` in the place of the program with kernel id `old_prog_id` in the
// BPF_F_ALLOW_MULTI list of the cgroup directory `cgroup_fd` at hook `type`
// (BPF_F_REPLACE, kernel 5.6): no moment with neither or both. Returns 0 or the errno
// (ENOENT: the old program is gone).
int replace(int cgroup_fd, int prog_fd, uint32_t old_prog_id, bpf_attach_type type);

// Detaches the program with kernel id `prog_id` from the cgroup directory `cgroup_fd` at
// hook `type`. Returns 0 or the errno (ENOENT: that program is gone).
int detach(int cgroup_fd, uint32_t prog_id, bpf_attach_type type);

// The programs attached to the cgroup directory `cgroup_fd` itself at hook `type` (at most
// `max` ids) and their attach flags; nullopt when the kernel cannot say.
struct Attached {
  std::vector<uint32_t> ids;
  uint32_t flags = 0;
};
std::optional<Attached> query(int cgroup_fd, bpf_attach_type type, uint32_t max);

// The name of the program with kernel id `id` ("" when it is gone meanwhile).
std::string program_name(uint32_t id);

// The ids of the programs named `name` attached to the cgroup directory `cgroup_fd` itself
// at hook `type`.
std::vector<uint32_t> attached_named(int cgroup_fd, bpf_attach_type type, const std::string& name);

// The programs vcrun attaches to a container's own cgroup, by hook and name: how it tells
// them from others' programs there.
struct OwnProgram {
  bpf_attach_type type;
  const char* name;
};
inline constexpr OwnProgram kDeviceProgram{BPF_CGROUP_DEVICE, "vcrun_dev"};
inline constexpr OwnProgram kBind4Program{BPF_CGROUP_INET4_BIND, "vcrun_bind4"};
inline constexpr OwnProgram kBind6Program{BPF_CGROUP_INET6_BIND, "vcrun_bind6"};
// The rest of the bind allowlist (cgroup/bind_allow.hpp): the address a bind ended with,
// a UDP datagram's chosen source, and the socket types whose bind and send no hook sees.
// Every name starts with "vcrun_bind" (at most 15 characters: BPF_OBJ_NAME_LEN).
inline constexpr OwnProgram kPostBind4Program{BPF_CGROUP_INET4_POST_BIND, "vcrun_bind_pb4"};
inline constexpr OwnProgram kPostBind6Program{BPF_CGROUP_INET6_POST_BIND, "vcrun_bind_pb6"};
inline constexpr OwnProgram kSendmsg4Program{BPF_CGROUP_UDP4_SENDMSG, "vcrun_bind_snd4"};
inline constexpr OwnProgram kSendmsg6Program{BPF_CGROUP_UDP6_SENDMSG, "vcrun_bind_snd6"};
inline constexpr OwnProgram kSockCreateProgram{BPF_CGROUP_INET_SOCK_CREATE, "vcrun_bind_sock"};
inline constexpr OwnProgram kBindAllowPrograms[] = {kBind4Program,    kBind6Program,    kPostBind4Program,
                                                    kPostBind6Program, kSendmsg4Program, kSendmsg6Program,
                                                    kSockCreateProgram};

// Detaches `p` from the cgroup directory `cgroup_fd` (every copy; `path` names the cgroup in
// log lines). Best effort: what is gone already is not an error.
void detach_own(int cgroup_fd, const OwnProgram& p, const std::string& path);
// Detaches every program vcrun attaches to a container's cgroup (a cgroup that outlives the
// container must not keep them).
void detach_all_own(int cgroup_fd, const std::string& path);

}  // namespace vcrun::bpf
