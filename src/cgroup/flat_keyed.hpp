// cgroup v2's "flat keyed" files ("key value" per line: cgroup.events, cpu.stat,
// memory.events, memory.stat, pids.events), read one key or all of them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vcrun::cgroup {

// The value of `key` ("frozen" of "populated 1\nfrozen 0\n" -> "0"), nullopt when no line
// has it. No allocation: the state store asks it of every container whose status it reports.
std::optional<std::string_view> flat_key(std::string_view text, std::string_view key);

// The number of `key`, nullopt when no line has it or its value is not a number.
std::optional<uint64_t> flat_number(std::string_view text, std::string_view key);

// Every key whose value is a number.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);

}  // namespace vcrun::cgroup
