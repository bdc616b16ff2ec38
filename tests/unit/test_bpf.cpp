// Unit tests: BPF instruction encoding (base/bpf), checked against the kernel's opcodes.
#include <catch2/catch.hpp>

#include <cstring>

#include "base/bpf.hpp"

using namespace vcrun;

namespace {

// The 8 bytes the kernel reads: code, dst_reg (low nibble) | src_reg (high nibble), off, imm.
std::vector<uint8_t> bytes(const bpf_insn& i) {
  std::vector<uint8_t> b(sizeof i);
  std::memcpy(b.data(), &i, sizeof i);
  return b;
}

}  // namespace

TEST_CASE("bpf instructions encode as the kernel reads them", "[unit]") {
  STATIC_REQUIRE(sizeof(bpf_insn) == 8);
  // r2 = *(u32 *)(r1 + 4): BPF_LDX | BPF_MEM | BPF_W = 0x61
  CHECK(bytes(bpf::ldx(BPF_W, bpf::R2, bpf::R1, 4)) == std::vector<uint8_t>{0x61, 0x12, 4, 0, 0, 0, 0, 0});
  // r3 >>= 16: BPF_ALU64 | BPF_RSH | BPF_K = 0x77
  CHECK(bytes(bpf::alu64_imm(BPF_RSH, bpf::R3, 16)) == std::vector<uint8_t>{0x77, 0x03, 0, 0, 16, 0, 0, 0});
  // r0 = -1 (sign-extended imm): BPF_ALU64 | BPF_MOV | BPF_K = 0xb7
  CHECK(bytes(bpf::alu64_imm(BPF_MOV, bpf::R0, -1)) ==
        std::vector<uint8_t>{0xb7, 0x00, 0, 0, 0xff, 0xff, 0xff, 0xff});
  // r1 = r3: BPF_ALU64 | BPF_MOV | BPF_X = 0xbf
  CHECK(bytes(bpf::alu64_reg(BPF_MOV, bpf::R1, bpf::R3)) == std::vector<uint8_t>{0xbf, 0x31, 0, 0, 0, 0, 0, 0});
  // if r4 != 8 goto +3: BPF_JMP | BPF_JNE | BPF_K = 0x55
  CHECK(bytes(bpf::jmp_imm(BPF_JNE, bpf::R4, 8, 3)) == std::vector<uint8_t>{0x55, 0x04, 3, 0, 8, 0, 0, 0});
  // backward jump: off is signed
  CHECK(bpf::jmp_imm(BPF_JEQ, bpf::R1, 0, -2).off == -2);
  // exit: 0x95
  CHECK(bytes(bpf::exit_insn()) == std::vector<uint8_t>{0x95, 0, 0, 0, 0, 0, 0, 0});
  // r10, the frame pointer, fits the 4-bit register fields
  auto fp = bpf::insn(BPF_STX | BPF_MEM | BPF_DW, bpf::R10, bpf::R1, -8, 0);
  CHECK(fp.dst_reg == 10);
  CHECK(fp.src_reg == 1);
}

TEST_CASE("bpf 32-bit moves, context stores, 32-bit jumps and ja encode as the kernel reads them", "[unit]") {
  // w6 = 0xc800007f (no sign extension): BPF_ALU | BPF_MOV | BPF_K = 0xb4
  CHECK(bytes(bpf::mov32_imm(bpf::R6, static_cast<int32_t>(0xc800007f))) ==
        std::vector<uint8_t>{0xb4, 0x06, 0, 0, 0x7f, 0, 0, 0xc8});
  // *(u32 *)(r1 + 4) = r6: BPF_STX | BPF_MEM | BPF_W = 0x63
  CHECK(bytes(bpf::stx(BPF_W, bpf::R1, bpf::R6, 4)) == std::vector<uint8_t>{0x63, 0x61, 4, 0, 0, 0, 0, 0});
  // if w2 == 5 goto +2: BPF_JMP32 | BPF_JEQ | BPF_K = 0x16
  CHECK(bytes(bpf::jmp32_imm(BPF_JEQ, bpf::R2, 5, 2)) == std::vector<uint8_t>{0x16, 0x02, 2, 0, 5, 0, 0, 0});
  // goto +7: BPF_JMP | BPF_JA = 0x05
  CHECK(bytes(bpf::ja(7)) == std::vector<uint8_t>{0x05, 0, 7, 0, 0, 0, 0, 0});
}
