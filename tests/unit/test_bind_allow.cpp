// Unit tests: the bind allowlist (cgroup/bind_allow): parsing, and the generated programs
// run on a small interpreter of the instructions they use.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "../support/bpf_cfg.hpp"
#include "base/bpf.hpp"
#include "cgroup/bind_allow.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using vcrun::test::cfg_problem;
using cgroup::BindAllowList;

namespace {

// The outcome of a bind through the program: refused (the kernel says EPERM), or allowed
// with the address the bind ends up using.
struct Outcome {
  bool allowed = false;
  std::string address;
};

// Runs `prog` the way the kernel runs it at the bind hook on a context holding `ctx`. Knows
// only the instructions the generator emits; anything else fails the test, as does a jump
// that does not go forward (the verifier of kernels before 5.3 refuses back-edges).
// `size`: how many bytes of the context the program may touch (up to its pointer fields).
int run(const std::vector<bpf_insn>& prog, unsigned char* bytes, size_t size) {
  uint64_t r[11] = {};
  auto field = [&](const bpf_insn& i, int reg) {
    REQUIRE(reg == bpf::R1);  // the context pointer, never moved
    REQUIRE(i.off >= 0);
    REQUIRE(static_cast<size_t>(i.off) + 4 <= size);
    return bytes + i.off;
  };
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    const uint8_t cls = BPF_CLASS(i.code), op = BPF_OP(i.code);
    if (i.code == (BPF_LDX | BPF_MEM | BPF_W)) {
      uint32_t v;
      std::memcpy(&v, field(i, i.src_reg), 4);
      r[i.dst_reg] = v;
    } else if (i.code == (BPF_STX | BPF_MEM | BPF_W)) {
      auto v = static_cast<uint32_t>(r[i.src_reg]);
      std::memcpy(field(i, i.dst_reg), &v, 4);
    } else if (i.code == (BPF_ALU64 | BPF_MOV | BPF_K)) {
      r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    } else if (i.code == (BPF_ALU | BPF_MOV | BPF_K)) {
      r[i.dst_reg] = static_cast<uint32_t>(i.imm);
    } else if (i.code == (BPF_JMP | BPF_EXIT)) {
      return static_cast<int>(r[0]);
    } else if (cls == BPF_JMP || cls == BPF_JMP32) {
      REQUIRE(BPF_SRC(i.code) == BPF_K);
      REQUIRE(i.off >= 0);
      bool taken;
      if (op == BPF_JA) {
        REQUIRE(cls == BPF_JMP);
        taken = true;
      } else {
        REQUIRE((op == BPF_JEQ || op == BPF_JNE));
        bool eq = cls == BPF_JMP32 ? static_cast<uint32_t>(r[i.dst_reg]) == static_cast<uint32_t>(i.imm)
                                   : r[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        taken = op == BPF_JEQ ? eq : !eq;
      }
      if (taken) pc += static_cast<size_t>(i.off);
    } else {
      FAIL("instruction the interpreter does not know: code " << int(i.code));
    }
  }
  FAIL("program fell off the end");
  return -1;
}

int run(const std::vector<bpf_insn>& prog, bpf_sock_addr& ctx) {
  return run(prog, reinterpret_cast<unsigned char*>(&ctx), offsetof(bpf_sock_addr, sk));
}

int run(const std::vector<bpf_insn>& prog, bpf_sock& ctx) {
  return run(prog, reinterpret_cast<unsigned char*>(&ctx), sizeof ctx);
}

constexpr uint16_t kPort = 8080;

Outcome bind4(const BindAllowList& list, const std::string& addr) {
  auto prog = cgroup::generate_bind4_program(list);
  REQUIRE(cfg_problem(prog) == "");
  bpf_sock_addr ctx{};
  ctx.user_family = AF_INET;
  ctx.family = AF_INET;
  ctx.user_port = htons(kPort);
  REQUIRE(::inet_pton(AF_INET, addr.c_str(), &ctx.user_ip4) == 1);
  int ret = run(prog, ctx);
  REQUIRE((ret == 0 || ret == 1));
  CHECK(ctx.user_port == htons(kPort));  // ports are never touched
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &ctx.user_ip4, text, sizeof text);
  return {ret == 1, text};
}

Outcome bind6(const BindAllowList& list, const std::string& addr) {
  auto prog = cgroup::generate_bind6_program(list);
  REQUIRE(cfg_problem(prog) == "");
  bpf_sock_addr ctx{};
  ctx.user_family = AF_INET6;
  ctx.family = AF_INET6;
  ctx.user_port = htons(kPort);
  REQUIRE(::inet_pton(AF_INET6, addr.c_str(), ctx.user_ip6) == 1);
  int ret = run(prog, ctx);
  REQUIRE((ret == 0 || ret == 1));
  CHECK(ctx.user_port == htons(kPort));
  char text[INET6_ADDRSTRLEN];
  ::inet_ntop(AF_INET6, ctx.user_ip6, text, sizeof text);
  return {ret == 1, text};
}

BindAllowList list_of(const std::vector<std::string>& addresses) {
  return parse_bind_allow(addresses, "vcrun.network.bindAllow");
}

std::string spec_error(const std::vector<std::string>& addresses, bool indexed = true) {
  try {
    parse_bind_allow(addresses, indexed ? "vcrun.network.bindAllow" : "--bind-allow", indexed);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

bool refused(const Outcome& o) { return !o.allowed; }

}  // namespace

TEST_CASE("bind allowlist entries are IPv4 or IPv6 literals, never a wildcard", "[unit]") {
  auto l = list_of({"127.0.0.200", "fd00::5", "::ffff:192.0.2.7", "10.1.2.3"});
  REQUIRE(l.v4.size() == 3);  // the mapped one counts as IPv4, in the order given
  REQUIRE(l.v6.size() == 1);
  CHECK(to_string(l.v4[1]) == "192.0.2.7");

  CHECK(spec_error({"10.0.0.1", "web"}) == "vcrun.network.bindAllow[1]: expected an IPv4 or IPv6 address, got \"web\"");
  CHECK(spec_error({"10.0.0.0/24"}).rfind("vcrun.network.bindAllow[0]: expected an IPv4 or IPv6 address", 0) == 0);
  CHECK(spec_error({""}).rfind("vcrun.network.bindAllow[0]: expected", 0) == 0);
  CHECK(spec_error({"fe80::1%lo"}).rfind("vcrun.network.bindAllow[0]: expected", 0) == 0);
  CHECK(spec_error({"0.0.0.0"}).rfind("vcrun.network.bindAllow[0]: the wildcard address 0.0.0.0", 0) == 0);
  CHECK(spec_error({"::"}).rfind("vcrun.network.bindAllow[0]: the wildcard address ::", 0) == 0);
  CHECK(spec_error({"::ffff:0.0.0.0"}).rfind("vcrun.network.bindAllow[0]: the wildcard address", 0) == 0);
  CHECK(spec_error({"1.2.3.4", "x"}, false) == "--bind-allow: expected an IPv4 or IPv6 address, got \"x\"");
  CHECK(spec_error(std::vector<std::string>(kMaxBindAllow + 1, "10.0.0.1")) ==
        "vcrun.network.bindAllow: at most 256 addresses, got 257");
  CHECK(spec_error(std::vector<std::string>(kMaxBindAllow, "10.0.0.1")) == "");
  CHECK(spec_error({}) == "");
}

TEST_CASE("bind4 program: listed addresses pass, 0.0.0.0 becomes the first, the rest is refused", "[unit]") {
  // 127.0.0.200 read as a 32-bit word has its top bit set: compared with a 64-bit jump the
  // sign-extended immediate would never match it.
  auto l = list_of({"127.0.0.200", "10.1.2.3", "fd00::5"});
  auto o = bind4(l, "127.0.0.200");
  CHECK(o.allowed);
  CHECK(o.address == "127.0.0.200");
  o = bind4(l, "10.1.2.3");
  CHECK(o.allowed);
  CHECK(o.address == "10.1.2.3");
  o = bind4(l, "0.0.0.0");
  CHECK(o.allowed);
  CHECK(o.address == "127.0.0.200");
  CHECK(refused(bind4(l, "10.1.2.4")));
  CHECK(refused(bind4(l, "127.0.0.1")));
  CHECK(refused(bind4(l, "200.0.0.127")));  // the same bytes reversed
  CHECK(refused(bind4(l, "255.255.255.255")));
}

TEST_CASE("bind6 program: IPv6 entries, ::, IPv4-mapped addresses", "[unit]") {
  auto l = list_of({"10.1.2.3", "fd00::5", "2001:db8::80:1", "127.0.0.200"});
  CHECK(bind6(l, "fd00::5").allowed);
  CHECK(bind6(l, "2001:db8::80:1").allowed);
  auto o = bind6(l, "::");
  CHECK(o.allowed);
  CHECK(o.address == "fd00::5");
  CHECK(refused(bind6(l, "fd00::6")));
  CHECK(refused(bind6(l, "fd00::5:0")));
  CHECK(refused(bind6(l, "2001:db8::81:1")));
  CHECK(refused(bind6(l, "::1")));
  CHECK(refused(bind6(l, "::10.1.2.3")));  // IPv4-compatible, not mapped
  // IPv4-mapped: judged by the IPv4 entries.
  o = bind6(l, "::ffff:10.1.2.3");
  CHECK(o.allowed);
  CHECK(o.address == "::ffff:10.1.2.3");
  CHECK(bind6(l, "::ffff:127.0.0.200").allowed);
  CHECK(refused(bind6(l, "::ffff:10.1.2.4")));
  CHECK(refused(bind6(l, "::ffff:127.0.0.1")));
  o = bind6(l, "::ffff:0.0.0.0");
  CHECK(o.allowed);
  CHECK(o.address == "::ffff:10.1.2.3");
}

TEST_CASE("bind programs for lists holding one family only, and for an empty list", "[unit]") {
  auto v4 = list_of({"192.0.2.1"});
  auto o = bind6(v4, "::");  // a dual-stack socket serves the IPv4 address
  CHECK(o.allowed);
  CHECK(o.address == "::ffff:192.0.2.1");
  CHECK(refused(bind6(v4, "fd00::1")));
  CHECK(bind6(v4, "::ffff:192.0.2.1").allowed);

  auto v6 = list_of({"fd00::7"});
  CHECK(refused(bind4(v6, "0.0.0.0")));
  CHECK(refused(bind4(v6, "192.0.2.1")));
  o = bind6(v6, "::");
  CHECK(o.allowed);
  CHECK(o.address == "fd00::7");
  CHECK(refused(bind6(v6, "::ffff:192.0.2.1")));
  CHECK(refused(bind6(v6, "::ffff:0.0.0.0")));

  auto none = list_of({});
  CHECK(refused(bind4(none, "0.0.0.0")));
  CHECK(refused(bind4(none, "127.0.0.1")));
  CHECK(refused(bind6(none, "::")));
  CHECK(refused(bind6(none, "::1")));
}

TEST_CASE("the bind4 program of one address, instruction by instruction", "[unit]") {
  auto prog = cgroup::generate_bind4_program(list_of({"10.0.0.1"}));
  int32_t a;  // 10.0.0.1 as the 4-byte load of user_ip4 reads it
  in_addr addr{};
  ::inet_pton(AF_INET, "10.0.0.1", &addr);
  std::memcpy(&a, &addr.s_addr, 4);
  const int16_t ip4 = offsetof(bpf_sock_addr, user_ip4);
  std::vector<bpf_insn> expected = {
      bpf::ldx(BPF_W, bpf::R2, bpf::R1, ip4),      // r2 = ctx->user_ip4
      bpf::jmp32_imm(BPF_JEQ, bpf::R2, 0, 3),      // 0.0.0.0 -> rewrite
      bpf::jmp32_imm(BPF_JEQ, bpf::R2, a, 4),      // listed -> allow
      bpf::alu64_imm(BPF_MOV, bpf::R0, 0),         // refuse
      bpf::exit_insn(),
      bpf::mov32_imm(bpf::R6, a),                  // ctx->user_ip4 = 10.0.0.1
      bpf::stx(BPF_W, bpf::R1, bpf::R6, ip4),
      bpf::alu64_imm(BPF_MOV, bpf::R0, 1),         // allow
      bpf::exit_insn(),
  };
  REQUIRE(prog.size() == expected.size());
  CHECK(std::memcmp(prog.data(), expected.data(), prog.size() * sizeof(bpf_insn)) == 0);
}

namespace {

// The post-bind programs on a socket bound to `addr`: whether the bind may stand.
bool post_bind(const BindAllowList& list, const std::string& addr) {
  bpf_sock sk{};
  bool v6 = addr.find(':') != std::string::npos;
  auto prog = v6 ? cgroup::generate_post_bind6_program(list) : cgroup::generate_post_bind4_program(list);
  REQUIRE(cfg_problem(prog) == "");
  if (v6) REQUIRE(::inet_pton(AF_INET6, addr.c_str(), sk.src_ip6) == 1);
  else REQUIRE(::inet_pton(AF_INET, addr.c_str(), &sk.src_ip4) == 1);
  bpf_sock before = sk;
  int ret = run(prog, sk);
  REQUIRE((ret == 0 || ret == 1));
  CHECK(std::memcmp(&before, &sk, sizeof sk) == 0);  // never rewrites
  return ret == 1;
}

// The sendmsg programs on a datagram asking for the source `src` ("0.0.0.0" / "::": none).
bool send_source(const BindAllowList& list, const std::string& src) {
  bpf_sock_addr ctx{};
  bool v6 = src.find(':') != std::string::npos;
  auto prog = v6 ? cgroup::generate_sendmsg6_program(list) : cgroup::generate_sendmsg4_program(list);
  REQUIRE(cfg_problem(prog) == "");
  if (v6) REQUIRE(::inet_pton(AF_INET6, src.c_str(), ctx.msg_src_ip6) == 1);
  else REQUIRE(::inet_pton(AF_INET, src.c_str(), &ctx.msg_src_ip4) == 1);
  bpf_sock_addr before = ctx;
  int ret = run(prog, ctx);
  REQUIRE((ret == 0 || ret == 1));
  CHECK(std::memcmp(&before, &ctx, sizeof ctx) == 0);
  return ret == 1;
}

bool sock_create(uint32_t family, uint32_t type, uint32_t protocol) {
  bpf_sock sk{};
  sk.family = family;
  sk.type = type;
  sk.protocol = protocol;
  auto prog = cgroup::generate_sock_create_program();
  REQUIRE(cfg_problem(prog) == "");
  int ret = run(prog, sk);
  REQUIRE((ret == 0 || ret == 1));
  return ret == 1;
}

}  // namespace

TEST_CASE("post-bind programs: the address a bind ended with must be listed", "[unit]") {
  auto list = list_of({"192.0.2.1", "fd00::1"});
  CHECK(post_bind(list, "192.0.2.1"));
  CHECK_FALSE(post_bind(list, "192.0.2.2"));
  CHECK_FALSE(post_bind(list, "0.0.0.0"));  // bind4 rewrote it; something after it undid that
  CHECK(post_bind(list, "fd00::1"));
  CHECK(post_bind(list, "::ffff:192.0.2.1"));
  CHECK_FALSE(post_bind(list, "fd00::2"));
  CHECK_FALSE(post_bind(list, "::"));
  CHECK_FALSE(post_bind(list, "::ffff:0.0.0.0"));
  CHECK_FALSE(post_bind(list, "::1"));
  auto none = list_of({});
  CHECK_FALSE(post_bind(none, "192.0.2.1"));
  CHECK_FALSE(post_bind(none, "fd00::1"));
}

TEST_CASE("sendmsg programs: an IP_PKTINFO source must be listed, none lets routing pick", "[unit]") {
  auto list = list_of({"192.0.2.1", "fd00::1"});
  CHECK(send_source(list, "0.0.0.0"));
  CHECK(send_source(list, "192.0.2.1"));
  CHECK_FALSE(send_source(list, "192.0.2.2"));
  CHECK_FALSE(send_source(list, "127.0.0.1"));
  CHECK(send_source(list, "::"));
  CHECK(send_source(list, "::ffff:0.0.0.0"));
  CHECK(send_source(list, "fd00::1"));
  CHECK(send_source(list, "::ffff:192.0.2.1"));
  CHECK_FALSE(send_source(list, "fd00::2"));
  CHECK_FALSE(send_source(list, "::ffff:192.0.2.2"));
  CHECK_FALSE(send_source(list, "::1"));
  auto v6 = list_of({"fd00::1"});
  CHECK_FALSE(send_source(v6, "192.0.2.1"));
  CHECK_FALSE(send_source(v6, "::ffff:192.0.2.1"));
  CHECK(send_source(v6, "0.0.0.0"));
}

TEST_CASE("sock_create program: only TCP, MPTCP, UDP and UDP-Lite sockets pass", "[unit]") {
  CHECK(sock_create(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  CHECK(sock_create(AF_INET6, SOCK_STREAM, IPPROTO_MPTCP));
  CHECK(sock_create(AF_INET6, SOCK_DGRAM, IPPROTO_UDP));
  CHECK(sock_create(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE));
  CHECK_FALSE(sock_create(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
  CHECK_FALSE(sock_create(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
  CHECK_FALSE(sock_create(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  CHECK_FALSE(sock_create(AF_INET6, SOCK_RAW, IPPROTO_RAW));
  CHECK_FALSE(sock_create(AF_INET, SOCK_RAW, IPPROTO_UDP));
  CHECK_FALSE(sock_create(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
  CHECK_FALSE(sock_create(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP));
  CHECK_FALSE(sock_create(AF_INET, SOCK_DGRAM, 115));  // IPPROTO_L2TP
}
