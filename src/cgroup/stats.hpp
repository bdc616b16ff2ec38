// The spectator view: per-container CPU, memory, pids and io figures from cgroup files.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vcrun/stats.hpp"

namespace vcrun::cgroup {

using Stats = ContainerStats;

// Pure parsers, unit-tested.
// io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..."): one entry per device line.
std::vector<DeviceIo> parse_io_stat(const std::string& text);
// A single value file: a number, or nullopt for "max".
std::optional<uint64_t> parse_single_value(const std::string& text);

// Reads everything once (cpu_percent stays 0).
Stats read_stats(const std::string& id, const std::string& path);
// Samples cpu.stat twice, `interval` apart, for every (id, path) and fills cpu_percent.
std::vector<Stats> sample_stats(const std::vector<std::pair<std::string, std::string>>& containers,
                                std::chrono::milliseconds interval = std::chrono::milliseconds(100));

// `vcrun events`: runc's stats object (types.Stats in runc's events JSON) read from the
// cgroup v2 files at `path`, with runc's field names and units (CPU times in ns; a limit
// of "max" is 2^64-1). What cgroup v2 has no file for is absent or zero. JSON here, not a
// typed struct formatted in cmd/ as `stats` is: it is runc's wire format, not a view,
// and it carries memory.stat and memory.events whole; a typed mirror of runc's Stats
// would declare the counters of ContainerStats a second time for this one consumer.
nlohmann::json runc_stats(const std::string& path);
// memory.events "oom_kill": processes the OOM killer killed in the cgroup; nullopt when
// the file is gone (no memory controller, or the cgroup was removed).
std::optional<uint64_t> oom_kill_count(const std::string& path);
// "0-2,4\n" (cpuset.cpus.effective) -> [0, 1, 2, 4], runc's cpuset arrays; malformed
// items (cpu_list::parse_lenient) and ids above 65535 are skipped.
std::vector<uint16_t> parse_cpu_list(const std::string& text);

}  // namespace vcrun::cgroup
