// The kernel's CPU and memory-node list syntax ("0-3,8,10-11"): the one parser for it.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace vcrun::cpu_list {

// first..last, both included.
struct Range {
  unsigned first = 0;
  unsigned last = 0;
};

// Pure, strict: the ranges of `text`, in its order; "" is the empty list. nullopt for
// anything else: an empty item ("0,,1", "0,"), a range ending below its start ("3-1") or
// open ("1-"), a number of more than 7 digits, any other character (whitespace too).
std::optional<std::vector<Range>> parse(std::string_view text);

// Pure, for lists the kernel wrote (cpuset.cpus.effective ends with a newline): whitespace
// around items is ignored, and an item `parse` would refuse is skipped instead of failing
// the whole list.
std::vector<Range> parse_lenient(std::string_view text);

// The number of ids the ranges hold.
unsigned count(const std::vector<Range>& ranges);

}  // namespace vcrun::cpu_list
