// What the BPF verifier's first pass (check_cfg) refuses, for unit tests of generated
// programs: an instruction no path reaches, a jump out of the program, or a path running
// off its end. "" when the program is fine.
#pragma once

#include <linux/bpf.h>

#include <deque>
#include <string>
#include <vector>

namespace vcrun::test {

inline std::string cfg_problem(const std::vector<bpf_insn>& prog) {
  std::vector<bool> seen(prog.size(), false);
  std::deque<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.front();
    todo.pop_front();
    if (pc >= prog.size()) return "a path leaves the program at " + std::to_string(pc);
    if (seen[pc]) continue;
    seen[pc] = true;
    const bpf_insn& i = prog[pc];
    const uint8_t cls = BPF_CLASS(i.code);
    if (i.code == (BPF_JMP | BPF_EXIT)) continue;
    if (cls == BPF_JMP || cls == BPF_JMP32)
      todo.push_back(pc + 1 + static_cast<size_t>(static_cast<long>(i.off)));
    if (i.code != (BPF_JMP | BPF_JA)) todo.push_back(pc + 1);
  }
  for (size_t pc = 0; pc < prog.size(); ++pc)
    if (!seen[pc]) return "unreachable insn " + std::to_string(pc);
  return "";
}

}  // namespace vcrun::test
