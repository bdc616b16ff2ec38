// Unit tests: device rules -> BPF program (structure) and the rule semantics it encodes.
#include <catch2/catch.hpp>

#include <tuple>

#include "../support/bpf_cfg.hpp"
#include "../support/device_rules.hpp"
#include "cgroup/device_bpf.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;
using vcrun::test::cfg_problem;

namespace {

// A tiny interpreter for the instruction subset the generator emits, so the program's
// decisions are checked against the C++ rule semantics without loading it.
int run_program(const std::vector<bpf_insn>& prog, uint32_t access_type, uint32_t major, uint32_t minor) {
  uint64_t reg[11] = {};
  uint32_t ctx[3] = {access_type, major, minor};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    uint8_t cls = BPF_CLASS(i.code);
    if (cls == BPF_LDX) {
      reg[i.dst_reg] = ctx[i.off / 4];
    } else if (cls == BPF_ALU64) {
      uint64_t src = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : static_cast<uint64_t>(static_cast<int64_t>(i.imm));
      switch (BPF_OP(i.code)) {
        case BPF_AND: reg[i.dst_reg] &= src; break;
        case BPF_RSH: reg[i.dst_reg] >>= src; break;
        case BPF_MOV: reg[i.dst_reg] = src; break;
        default: FAIL("unexpected ALU op");
      }
    } else if (cls == BPF_JMP) {
      if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int>(reg[0]);
      uint64_t v = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
      bool taken = BPF_OP(i.code) == BPF_JNE ? reg[i.dst_reg] != v : reg[i.dst_reg] == v;
      if (taken) pc += static_cast<size_t>(i.off);
    } else {
      FAIL("unexpected instruction class");
    }
  }
  FAIL("program fell off the end");
  return -1;
}

uint32_t ctx_type(char type, const std::string& access) {
  uint32_t acc = 0;
  for (char c : access) acc |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
  return acc << 16 | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
}

}  // namespace

TEST_CASE("default device rules allow the usual nodes and deny disks", "[unit]") {
  ContainerSpec spec;
  auto rules = effective_device_rules(spec);
  CHECK(device_allowed(rules, 'c', 1, 3, "rw"));    // /dev/null
  CHECK(device_allowed(rules, 'c', 136, 4, "rw"));  // /dev/pts/4
  CHECK(device_allowed(rules, 'c', 5, 2, "rw"));    // ptmx
  CHECK(!device_allowed(rules, 'b', 8, 0, "r"));    // /dev/sda
  CHECK(device_allowed(rules, 'b', 8, 0, "m"));     // mknod is allowed, opening is not
  CHECK(!device_allowed(rules, 'c', 10, 200, "rw"));
}

TEST_CASE("spec rules: last match wins, defaults stay usable", "[unit]") {
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  auto& d = spec.linux.resources->devices;
  d.push_back(DeviceRule{false, 'a', -1, -1, "rwm"});
  d.push_back(DeviceRule{true, 'b', 8, -1, "r"});
  d.push_back(DeviceRule{false, 'b', 8, 1, "r"});
  DeviceNode node;
  node.path = "/dev/fuse";
  node.type = 'c';
  node.major = 10;
  node.minor = 229;
  spec.linux.devices.push_back(node);
  auto rules = effective_device_rules(spec);
  CHECK(device_allowed(rules, 'b', 8, 0, "r"));
  CHECK(!device_allowed(rules, 'b', 8, 0, "rw"));  // allow needs every requested bit
  CHECK(!device_allowed(rules, 'b', 8, 1, "r"));
  // A linux.devices node is created, not allowed: the rules decide (runc, crun).
  CHECK(!device_allowed(rules, 'c', 10, 229, "rw"));
  CHECK(device_allowed(rules, 'c', 1, 3, "rw"));
}

TEST_CASE("a linux.devices node is opened only as the device rules allow", "[unit]") {
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  spec.linux.resources->devices = {DeviceRule{false, 'a', -1, -1, "rwm"}};
  for (auto [path, type, major, minor] : {std::tuple{"/dev/kmsg", 'c', 1, 11}, std::tuple{"/dev/sda", 'b', 8, 0},
                                          std::tuple{"/dev/mem", 'u', 1, 1}}) {
    DeviceNode node;
    node.path = path;
    node.type = type;
    node.major = major;
    node.minor = minor;
    spec.linux.devices.push_back(node);
  }
  auto rules = effective_device_rules(spec);
  CHECK(rules.size() == 1 + default_device_rules().size());
  for (const char* access : {"r", "w", "rw"}) {
    CHECK(!device_allowed(rules, 'c', 1, 11, access));
    CHECK(!device_allowed(rules, 'b', 8, 0, access));
    CHECK(!device_allowed(rules, 'c', 1, 1, access));
  }
  CHECK(is_default_device_policy(rules));  // deny-all + nodes: the inherited default program
  // The spec's own allow rule is what opens one (docker's --device adds exactly that).
  spec.linux.resources->devices.push_back(DeviceRule{true, 'c', 1, 11, "r"});
  rules = effective_device_rules(spec);
  CHECK(device_allowed(rules, 'c', 1, 11, "r"));
  CHECK(!device_allowed(rules, 'c', 1, 11, "w"));
  CHECK_FALSE(is_default_device_policy(rules));
}

TEST_CASE("the generated program decides like the rules", "[unit]") {
  ContainerSpec spec;
  spec.linux.resources = Resources{};
  auto& d = spec.linux.resources->devices;
  d.push_back(DeviceRule{false, 'a', -1, -1, "rwm"});
  d.push_back(DeviceRule{true, 'b', 8, -1, "r"});
  d.push_back(DeviceRule{false, 'b', 8, 1, "w"});
  d.push_back(DeviceRule{true, 'c', 4, -1, "rw"});
  auto rules = effective_device_rules(spec);
  auto prog = generate_device_program(rules);
  REQUIRE(prog.size() < 4096);
  for (char type : {'c', 'b'})
    for (int major : {1, 4, 5, 8, 136, 10})
      for (int minor : {0, 1, 3, 9, 200})
        for (const char* access : {"r", "w", "m", "rw", "rwm"}) {
          INFO(type << " " << major << ":" << minor << " " << access);
          CHECK((run_program(prog, ctx_type(type, access), major, minor) == 1) ==
                device_allowed(rules, type, major, minor, access));
        }
}

TEST_CASE("which rule lists are the default policy (inherited from the parent)", "[unit]") {
  auto defaults = default_device_rules();
  CHECK(is_default_device_policy(defaults));
  ContainerSpec spec;
  CHECK(is_default_device_policy(effective_device_rules(spec)));
  // runc's usual prefix: deny-all first; the rules before the last deny-all never decide.
  spec.linux.resources.emplace();
  spec.linux.resources->devices = {DeviceRule{true, 'c', 10, 200, "rwm"},
                                   DeviceRule{false, 'a', -1, -1, "rwm"}};
  CHECK(is_default_device_policy(effective_device_rules(spec)));
  // Anything that decides differently needs the container's own program.
  spec.linux.resources->devices.push_back(DeviceRule{true, 'c', 10, 200, "rwm"});
  CHECK_FALSE(is_default_device_policy(effective_device_rules(spec)));
  spec.linux.resources->devices = {DeviceRule{false, 'a', -1, -1, "rw"}};  // keeps "m": not deny-all
  CHECK_FALSE(is_default_device_policy(effective_device_rules(spec)));
  ContainerSpec with_node;
  DeviceNode fuse;
  fuse.path = "/dev/fuse";
  fuse.major = 10;
  fuse.minor = 229;
  with_node.linux.devices.push_back(fuse);
  CHECK(is_default_device_policy(effective_device_rules(with_node)));  // a node adds no rule
  auto reordered = defaults;
  std::swap(reordered[2], reordered[3]);  // same decisions, different list: not recognised
  CHECK_FALSE(is_default_device_policy(reordered));
}

TEST_CASE("rules before a catch-all rule are not emitted (the verifier refuses dead code)", "[unit]") {
  // podman's list starts with deny-all; with it the final "no match: deny" was dead code.
  auto podman = test::podman_device_rules();
  CHECK(cfg_problem(generate_device_program(podman)) == "");
  ContainerSpec spec;
  spec.linux.resources.emplace();
  spec.linux.resources->devices = podman;
  spec.linux.resources->devices.push_back(DeviceRule{true, 'c', 10, 229, "rwm"});  // --device-cgroup-rule
  auto rules = effective_device_rules(spec);
  auto prog = generate_device_program(rules);
  CHECK(cfg_problem(prog) == "");
  CHECK(run_program(prog, ctx_type('c', "rw"), 10, 229) == 1);
  CHECK(run_program(prog, ctx_type('c', "rw"), 10, 230) == 0);
  CHECK(run_program(prog, ctx_type('b', "m"), 8, 0) == 1);
  // An allow-all in the middle decides alone for everything the later rules do not match.
  std::vector<DeviceRule> mid = {DeviceRule{false, 'c', 1, 3, "rwm"}, DeviceRule{true, 'a', -1, -1, "rwm"},
                                 DeviceRule{false, 'b', 8, -1, "r"}};
  auto p2 = generate_device_program(mid);
  CHECK(cfg_problem(p2) == "");
  CHECK(run_program(p2, ctx_type('c', "rw"), 1, 3) == 1);
  CHECK(run_program(p2, ctx_type('b', "r"), 8, 0) == 0);
  CHECK(run_program(p2, ctx_type('b', "w"), 8, 0) == 1);
}

TEST_CASE("property: random rule lists give verifiable programs deciding like the rules", "[unit]") {
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    auto rules = test::random_device_rules(seed);
    // Half of them as a container would have them: the spec's rules, then the defaults.
    if (seed % 2 == 0) {
      ContainerSpec spec;
      spec.linux.resources.emplace();
      spec.linux.resources->devices = rules;
      rules = effective_device_rules(spec);
    }
    auto prog = generate_device_program(rules);
    INFO("seed " << seed << ", " << rules.size() << " rules");
    REQUIRE(cfg_problem(prog) == "");
    REQUIRE(prog.size() < 4096);
    for (char type : {'c', 'b'})
      for (int64_t major : test::rule_majors())
        for (int64_t minor : test::rule_minors())
          for (const char* access : {"r", "w", "m", "rw", "rwm"}) {
            if (major < 0 || minor < 0) continue;  // the kernel asks about real numbers only
            bool interpreted = run_program(prog, ctx_type(type, access), static_cast<uint32_t>(major),
                                           static_cast<uint32_t>(minor)) == 1;
            if (interpreted != device_allowed(rules, type, major, minor, access)) {
              INFO(type << " " << major << ":" << minor << " " << access);
              REQUIRE(interpreted == device_allowed(rules, type, major, minor, access));
            }
          }
  }
}
