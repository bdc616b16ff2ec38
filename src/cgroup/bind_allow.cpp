// Bind allowlist -> cgroup BPF programs at the bind, post-bind, UDP sendmsg and socket-creation hooks.
#include "cgroup/bind_allow.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/bpf.hpp"
#include "base/text.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

using bpf::R0, bpf::R1, bpf::R2, bpf::R3, bpf::R4, bpf::R5, bpf::R6;

constexpr const char* kField = "vcrun.network.bindAllow";

// struct bpf_sock_addr: user_ip4 and user_ip6[4] hold the address in network byte order,
// and a bind program may write them (4-byte stores only).
constexpr int16_t kUserIp4 = offsetof(bpf_sock_addr, user_ip4);
constexpr int16_t ip6_word(int i) { return static_cast<int16_t>(offsetof(bpf_sock_addr, user_ip6) + 4 * i); }

// A 32-bit word of an address as the program's 4-byte load of the same bytes reads it.
int32_t word(uint32_t network_order) {
  int32_t w;
  std::memcpy(&w, &network_order, sizeof w);
  return w;
}
int32_t word6(const Ipv6& a, int i) {
  int32_t w;
  std::memcpy(&w, a.bytes.data() + 4 * i, sizeof w);
  return w;
}
const int32_t kMappedPrefix = word(htonl(0xffff));  // the third word of ::ffff:a.b.c.d

using bpf::Assembler;

// *(u32 *)(ctx + off) = w, through R6: the verifier refuses immediate stores into the context.
void store(Assembler& a, int16_t off, int32_t w) {
  a.emit(bpf::mov32_imm(R6, w));
  a.emit(bpf::stx(BPF_W, R1, R6, off));
}

std::vector<bpf_insn> deny_all() {
  Assembler a;
  a.ret(0);
  return a.finish();
}

std::string what(const std::string& cgroup_path) { return "the bind allowlist program for " + cgroup_path; }

// The programs named `name` attached to the cgroup itself at `type`.
void detach_ids(int cgroup_fd, const std::vector<uint32_t>& ids, bpf_attach_type type, const std::string& path) {
  for (uint32_t id : ids) {
    int err = bpf::detach(cgroup_fd, id, type);
    if (err != 0 && err != ENOENT)
      spdlog::warn("bind allowlist: detaching program {} from {}: {}", id, path, std::strerror(err));
  }
}

void attach_one(int cgroup_fd, int prog_fd, const bpf::OwnProgram& p, const std::string& path) {
  const auto type = p.type;
  const char* name = p.name;
  auto old = bpf::attached_named(cgroup_fd, type, name);
  if (!old.empty()) {
    int err = bpf::replace(cgroup_fd, prog_fd, old.front(), type);
    if (err == 0) {
      detach_ids(cgroup_fd, {old.begin() + 1, old.end()}, type, path);
      return;
    }
    // A kernel without BPF_F_REPLACE (< 5.6) or the old one just went: attach the new one,
    // then detach the old. Meanwhile a bind must pass both, never neither.
    spdlog::debug("bind allowlist: replacing {} in {}: {}; attaching beside it", name, path, std::strerror(err));
  }
  if (int err = bpf::attach(cgroup_fd, prog_fd, type, BPF_F_ALLOW_MULTI))
    throw_errno(std::string(kField) + ": attaching " + name + " to " + path, err);
  detach_ids(cgroup_fd, old, type, path);
}

}  // namespace

std::vector<bpf_insn> generate_bind4_program(const BindAllowList& list) {
  if (list.v4.empty()) return deny_all();
  Assembler a;
  auto allow = a.label(), wildcard = a.label();
  a.emit(bpf::ldx(BPF_W, R2, R1, kUserIp4));
  a.jump(bpf::jmp32_imm(BPF_JEQ, R2, word(htonl(INADDR_ANY)), 0), wildcard);
  for (const auto& addr : list.v4) a.jump(bpf::jmp32_imm(BPF_JEQ, R2, word(htonl(addr.value)), 0), allow);
  a.ret(0);
  a.bind(wildcard);
  store(a, kUserIp4, word(htonl(list.v4.front().value)));
  a.bind(allow);
  a.ret(1);
  return a.finish();
}

namespace {

// Jumps to `allow` when the 32-bit word in `r` is one of `v4`.
void match4(Assembler& a, bpf::Reg r, const std::vector<Ipv4>& v4, Assembler::Label allow) {
  for (const auto& addr : v4) a.jump(bpf::jmp32_imm(BPF_JEQ, r, word(htonl(addr.value)), 0), allow);
}

// With an IPv6 address in r2..r5: ::/96 and ::ffff:0:0/96 are told apart from the rest
// (`native`, ::1 included); :: goes to `unspecified`, ::ffff:a.b.c.d to `mapped`.
void split6(Assembler& a, Assembler::Label native, Assembler::Label mapped, Assembler::Label unspecified) {
  a.jump(bpf::jmp32_imm(BPF_JNE, R2, 0, 0), native);
  a.jump(bpf::jmp32_imm(BPF_JNE, R3, 0, 0), native);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R4, kMappedPrefix, 0), mapped);
  a.jump(bpf::jmp32_imm(BPF_JNE, R4, 0, 0), native);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R5, 0, 0), unspecified);
}

// Jumps to `allow` when r2..r5 hold one of `v6`.
void match6(Assembler& a, const std::vector<Ipv6>& v6, Assembler::Label allow) {
  for (const auto& addr : v6) {
    auto next = a.label();
    for (int i = 0; i < 3; ++i) a.jump(bpf::jmp32_imm(BPF_JNE, static_cast<bpf::Reg>(R2 + i), word6(addr, i), 0), next);
    a.jump(bpf::jmp32_imm(BPF_JEQ, R5, word6(addr, 3), 0), allow);
    a.bind(next);
  }
}

}  // namespace

std::vector<bpf_insn> generate_bind6_program(const BindAllowList& list) {
  if (list.v4.empty() && list.v6.empty()) return deny_all();
  Assembler a;
  auto allow = a.label(), native = a.label(), mapped = a.label(), wildcard = a.label();
  // r2..r5: the four words of the address.
  for (int i = 0; i < 4; ++i) a.emit(bpf::ldx(BPF_W, static_cast<bpf::Reg>(R2 + i), R1, ip6_word(i)));
  split6(a, native, mapped, wildcard);
  a.bind(native);  // an address the list must hold (::1 included)
  match6(a, list.v6, allow);
  a.ret(0);

  a.bind(mapped);  // ::ffff:a.b.c.d, judged as bind4 judges a.b.c.d
  // Jumps only go forward (kernels before 5.3 refuse any back-edge): each refusal returns
  // on its own.
  if (list.v4.empty()) {
    a.ret(0);
  } else {
    auto mapped_wildcard = a.label();
    a.jump(bpf::jmp32_imm(BPF_JEQ, R5, 0, 0), mapped_wildcard);
    for (const auto& addr : list.v4) a.jump(bpf::jmp32_imm(BPF_JEQ, R5, word(htonl(addr.value)), 0), allow);
    a.ret(0);
    a.bind(mapped_wildcard);  // ::ffff:0.0.0.0 -> ::ffff:<first IPv4>
    store(a, ip6_word(3), word(htonl(list.v4.front().value)));
    a.jump(bpf::ja(0), allow);
  }

  a.bind(wildcard);  // :: -> the first IPv6 address, else ::ffff:<first IPv4>
  if (!list.v6.empty()) {
    for (int i = 0; i < 4; ++i) store(a, ip6_word(i), word6(list.v6.front(), i));
  } else {
    store(a, ip6_word(2), kMappedPrefix);
    store(a, ip6_word(3), word(htonl(list.v4.front().value)));
  }
  a.bind(allow);
  a.ret(1);
  return a.finish();
}

namespace {

// The check-only programs: the IPv4 address at `off` of the context must be in the list;
// 0.0.0.0 passes when `unspecified_ok` (a datagram whose source routing picks).
std::vector<bpf_insn> check4(const BindAllowList& list, int16_t off, bool unspecified_ok) {
  if (list.v4.empty() && !unspecified_ok) return deny_all();  // (an allow no jump reaches fails the verifier)
  Assembler a;
  auto allow = a.label();
  a.emit(bpf::ldx(BPF_W, R2, R1, off));
  if (unspecified_ok) a.jump(bpf::jmp32_imm(BPF_JEQ, R2, 0, 0), allow);
  match4(a, R2, list.v4, allow);
  a.ret(0);
  a.bind(allow);
  a.ret(1);
  return a.finish();
}

// The same for the IPv6 address at `off` (four words): listed IPv6 addresses, IPv4-mapped
// ones judged by the IPv4 list; :: and ::ffff:0.0.0.0 pass only when `unspecified_ok`.
std::vector<bpf_insn> check6(const BindAllowList& list, int16_t off, bool unspecified_ok) {
  if (list.v4.empty() && list.v6.empty() && !unspecified_ok) return deny_all();
  Assembler a;
  auto allow = a.label(), native = a.label(), mapped = a.label(), unspecified = a.label();
  for (int i = 0; i < 4; ++i) a.emit(bpf::ldx(BPF_W, static_cast<bpf::Reg>(R2 + i), R1, static_cast<int16_t>(off + 4 * i)));
  split6(a, native, mapped, unspecified);
  a.bind(native);
  match6(a, list.v6, allow);
  a.ret(0);
  a.bind(mapped);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R5, 0, 0), unspecified);
  match4(a, R5, list.v4, allow);
  a.ret(0);
  a.bind(unspecified);
  if (unspecified_ok) a.jump(bpf::ja(0), allow);
  else a.ret(0);
  a.bind(allow);
  a.ret(1);
  return a.finish();
}

// Program type and name of each hook the allowlist uses.
const bpf::OwnProgram& own(bpf_attach_type type) {
  for (const auto& p : bpf::kBindAllowPrograms)
    if (p.type == type) return p;
  throw std::logic_error("bind_allow: no program for attach type " + std::to_string(type));
}

bpf_prog_type prog_type(bpf_attach_type type) {
  switch (type) {
    case BPF_CGROUP_INET4_POST_BIND:
    case BPF_CGROUP_INET6_POST_BIND:
    case BPF_CGROUP_INET_SOCK_CREATE: return BPF_PROG_TYPE_CGROUP_SOCK;
    default: return BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
  }
}

}  // namespace

std::vector<bpf_insn> generate_post_bind4_program(const BindAllowList& list) {
  return check4(list, static_cast<int16_t>(offsetof(bpf_sock, src_ip4)), false);
}

std::vector<bpf_insn> generate_post_bind6_program(const BindAllowList& list) {
  return check6(list, static_cast<int16_t>(offsetof(bpf_sock, src_ip6)), false);
}

std::vector<bpf_insn> generate_sendmsg4_program(const BindAllowList& list) {
  return check4(list, static_cast<int16_t>(offsetof(bpf_sock_addr, msg_src_ip4)), true);
}

std::vector<bpf_insn> generate_sendmsg6_program(const BindAllowList& list) {
  return check6(list, static_cast<int16_t>(offsetof(bpf_sock_addr, msg_src_ip6)), true);
}

std::vector<bpf_insn> generate_sock_create_program() {
  Assembler a;
  auto allow = a.label(), stream = a.label(), dgram = a.label();
  a.emit(bpf::ldx(BPF_W, R2, R1, static_cast<int16_t>(offsetof(bpf_sock, type))));
  a.emit(bpf::ldx(BPF_W, R3, R1, static_cast<int16_t>(offsetof(bpf_sock, protocol))));  // resolved: never 0 here
  a.jump(bpf::jmp32_imm(BPF_JEQ, R2, SOCK_STREAM, 0), stream);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R2, SOCK_DGRAM, 0), dgram);
  a.ret(0);  // raw, seqpacket (SCTP), ...
  a.bind(stream);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R3, IPPROTO_TCP, 0), allow);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R3, IPPROTO_MPTCP, 0), allow);
  a.ret(0);  // SCTP, SMC, ...
  a.bind(dgram);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R3, IPPROTO_UDP, 0), allow);
  a.jump(bpf::jmp32_imm(BPF_JEQ, R3, IPPROTO_UDPLITE, 0), allow);
  a.ret(0);  // ICMP datagram ("ping"), L2TP/IP, ...
  a.bind(allow);
  a.ret(1);
  return a.finish();
}

UniqueFd load_bind_program(const std::vector<bpf_insn>& program, bpf_attach_type type, const std::string& what) {
  try {
    return bpf::load(prog_type(type), program, own(type).name, what, type);
  } catch (const Error& e) {
    throw e.with_context(kField);
  }
}

BindPrograms load_bind_allow(const BindAllowList& list, const std::string& cgroup_path) {
  BindPrograms p;
  const std::string w = what(cgroup_path);
  p.bind4 = load_bind_program(generate_bind4_program(list), BPF_CGROUP_INET4_BIND, w);
  p.bind6 = load_bind_program(generate_bind6_program(list), BPF_CGROUP_INET6_BIND, w);
  p.post_bind4 = load_bind_program(generate_post_bind4_program(list), BPF_CGROUP_INET4_POST_BIND, w);
  p.post_bind6 = load_bind_program(generate_post_bind6_program(list), BPF_CGROUP_INET6_POST_BIND, w);
  p.sendmsg4 = load_bind_program(generate_sendmsg4_program(list), BPF_CGROUP_UDP4_SENDMSG, w);
  p.sendmsg6 = load_bind_program(generate_sendmsg6_program(list), BPF_CGROUP_UDP6_SENDMSG, w);
  p.sock_create = load_bind_program(generate_sock_create_program(), BPF_CGROUP_INET_SOCK_CREATE, w);
  return p;
}

void attach_bind_allow(int cgroup_fd, const BindPrograms& programs, const std::string& cgroup_path) {
  const std::pair<const UniqueFd*, const bpf::OwnProgram*> all[] = {
      {&programs.bind4, &bpf::kBind4Program},         {&programs.bind6, &bpf::kBind6Program},
      {&programs.post_bind4, &bpf::kPostBind4Program}, {&programs.post_bind6, &bpf::kPostBind6Program},
      {&programs.sendmsg4, &bpf::kSendmsg4Program},   {&programs.sendmsg6, &bpf::kSendmsg6Program},
      {&programs.sock_create, &bpf::kSockCreateProgram}};
  for (const auto& [fd, p] : all) attach_one(cgroup_fd, fd->get(), *p, cgroup_path);
  spdlog::debug("bind allowlist attached to {}", cgroup_path);
}

}  // namespace vcrun::cgroup
