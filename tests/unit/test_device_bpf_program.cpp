// The device program's instructions, byte for byte, for a few rule lists: captured from the
// generator before it moved onto bpf::Assembler, so a refactoring that changes one jump fails
// here (the default program's name, a hash of the instructions, is not checked itself).
#include <catch2/catch.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "base/bpf.hpp"
#include "cgroup/device_bpf.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;

namespace {

// "code dst src off imm" per instruction, ';' after each.
std::string dump(const std::vector<bpf_insn>& prog) {
  std::string out;
  for (const auto& i : prog) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%02x %u %u %d %d;", i.code, i.dst_reg, i.src_reg, i.off, i.imm);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("device program: instructions as captured before the assembler", "[unit]") {
  CHECK(dump(generate_device_program({DeviceRule{true, 'a', -1, -1, "rwm"}})) ==
        "b7 0 0 0 1;95 0 0 0 0;");
  CHECK(dump(generate_device_program({DeviceRule{true, 'c', 1, 3, "rw"}, DeviceRule{false, 'b', 8, -1, "w"},
                                      DeviceRule{true, 'a', -1, -1, "m"}})) ==
        "61 3 1 0 0;77 3 0 0 16;57 3 0 0 6;55 3 0 2 0;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;"
        "57 2 0 0 65535;55 2 0 8 1;61 3 1 0 0;77 3 0 0 16;57 3 0 0 4;15 3 0 4 0;61 4 1 4 0;"
        "55 4 0 2 8;b7 0 0 0 0;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 10 2;61 3 1 0 0;"
        "77 3 0 0 16;57 3 0 0 1;55 3 0 6 0;61 4 1 4 0;55 4 0 4 1;61 5 1 8 0;55 5 0 2 3;"
        "b7 0 0 0 1;95 0 0 0 0;b7 0 0 0 0;95 0 0 0 0;");
  CHECK(dump(generate_device_program({DeviceRule{false, 'a', -1, -1, "rwm"}, DeviceRule{true, 'c', 10, 200, "rwm"},
                                      DeviceRule{false, 'c', 1, 3, ""}, DeviceRule{false, 'c', -1, 7, "r"}})) ==
        "61 2 1 0 0;57 2 0 0 65535;55 2 0 8 2;61 3 1 0 0;77 3 0 0 16;57 3 0 0 2;15 3 0 4 0;"
        "61 5 1 8 0;55 5 0 2 7;b7 0 0 0 0;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;"
        "61 4 1 4 0;55 4 0 4 10;61 5 1 8 0;55 5 0 2 200;b7 0 0 0 1;95 0 0 0 0;b7 0 0 0 0;"
        "95 0 0 0 0;");
  CHECK(dump(generate_device_program(default_device_rules())) ==
        "61 2 1 0 0;57 2 0 0 65535;55 2 0 4 2;61 4 1 4 0;55 4 0 2 136;b7 0 0 0 1;95 0 0 0 0;"
        "61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;55 4 0 4 5;61 5 1 8 0;55 5 0 2 2;"
        "b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;55 4 0 4 5;"
        "61 5 1 8 0;55 5 0 2 1;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;"
        "61 4 1 4 0;55 4 0 4 5;61 5 1 8 0;55 5 0 2 0;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;"
        "57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;55 4 0 4 1;61 5 1 8 0;55 5 0 2 9;b7 0 0 0 1;"
        "95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;55 4 0 4 1;61 5 1 8 0;"
        "55 5 0 2 8;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;"
        "55 4 0 4 1;61 5 1 8 0;55 5 0 2 7;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;"
        "55 2 0 6 2;61 4 1 4 0;55 4 0 4 1;61 5 1 8 0;55 5 0 2 5;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;"
        "57 2 0 0 65535;55 2 0 6 2;61 4 1 4 0;55 4 0 4 1;61 5 1 8 0;55 5 0 2 3;b7 0 0 0 1;"
        "95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 1;61 3 1 0 0;77 3 0 0 16;57 3 0 0 6;"
        "55 3 0 2 0;b7 0 0 0 1;95 0 0 0 0;61 2 1 0 0;57 2 0 0 65535;55 2 0 6 2;61 3 1 0 0;"
        "77 3 0 0 16;57 3 0 0 6;55 3 0 2 0;b7 0 0 0 1;95 0 0 0 0;b7 0 0 0 0;95 0 0 0 0;");
}

TEST_CASE("bpf::Assembler: jumps reach their labels, a label not after its jump is refused", "[unit]") {
  bpf::Assembler a;
  auto end = a.label(), mid = a.label();
  a.jump(bpf::jmp_imm(BPF_JEQ, bpf::R2, 7, 0), end);  // 0: to 6
  a.jump(bpf::ja(0), mid);                             // 1: to 4
  a.ret(1);                                            // 2, 3
  a.bind(mid);
  a.ret(2);  // 4, 5
  a.bind(end);
  a.ret(0);  // 6, 7
  auto prog = a.finish();
  REQUIRE(prog.size() == 8);
  CHECK(prog[0].off == 5);
  CHECK(prog[1].off == 2);
  CHECK(prog[6].imm == 0);

  bpf::Assembler back;
  auto top = back.label();
  back.bind(top);
  back.jump(bpf::ja(0), top);
  CHECK_THROWS_AS(back.finish(), std::logic_error);
  bpf::Assembler unbound;
  unbound.jump(bpf::ja(0), unbound.label());
  CHECK_THROWS_AS(unbound.finish(), std::logic_error);
}
