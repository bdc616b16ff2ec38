// runc's stats object for `vcrun events`, read from cgroup v2 files (runc's fs2 mapping).
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

#include "base/cpu_list.hpp"
#include "base/fs_util.hpp"
#include "cgroup/flat_keyed.hpp"
#include "cgroup/stats.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

using json = nlohmann::json;
constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

std::map<std::string, uint64_t> keyed(const std::string& file) {
  auto text = try_read_file(file);
  return text ? parse_flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

// A single-value file: its number, kUnlimited for "max", nullopt when absent.
std::optional<uint64_t> value(const std::string& file) {
  auto text = try_read_file(file);
  if (!text) return std::nullopt;
  auto v = parse_single_value(*text);
  return v ? *v : kUnlimited;
}

// The value of `key`, 0 when absent (without inserting it, unlike operator[]).
uint64_t at(const std::map<std::string, uint64_t>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > kUnlimited - b ? kUnlimited : a + b; }

json cpu(const std::string& path) {
  auto c = keyed(path + "/cpu.stat");
  return {{"usage", {{"total", at(c, "usage_usec") * 1000}, {"kernel", at(c, "system_usec") * 1000}, {"user", at(c, "user_usec") * 1000}}},
          {"throttling",
           {{"periods", at(c, "nr_periods")}, {"throttledPeriods", at(c, "nr_throttled")}, {"throttledTime", at(c, "throttled_usec") * 1000}}}};
}

json memory(const std::string& path) {
  auto stat = keyed(path + "/memory.stat");
  auto events = keyed(path + "/memory.events");
  uint64_t current = value(path + "/memory.current").value_or(0);
  uint64_t limit = value(path + "/memory.max").value_or(kUnlimited);
  json usage = {{"usage", current}, {"limit", limit}, {"failcnt", at(events, "max")}};
  if (auto peak = value(path + "/memory.peak")) usage["max"] = *peak;
  // As in runc on cgroup v2: swap is reported as memory plus swap (cgroup v1's memsw).
  uint64_t swap = value(path + "/memory.swap.current").value_or(0);
  uint64_t swap_max = value(path + "/memory.swap.max").value_or(kUnlimited);
  json out = {{"cache", at(stat, "file")},
              {"usage", usage},
              {"swap", {{"usage", saturating_add(current, swap)}, {"limit", saturating_add(limit, swap_max)}, {"failcnt", 0}}},
              {"kernel", {{"usage", at(stat, "kernel")}, {"limit", 0}, {"failcnt", 0}}},
              {"kernelTCP", {{"usage", at(stat, "sock")}, {"limit", 0}, {"failcnt", 0}}},
              {"raw", stat}};
  out["event_count"] = events;  // memory.events as is: low, high, max, oom, oom_kill...
  return out;
}

json pids(const std::string& path) {
  json out = json::object();
  if (auto cur = value(path + "/pids.current")) out["current"] = *cur;
  // runc leaves the limit out (0) when it is "max".
  if (auto lim = value(path + "/pids.max"); lim && *lim != kUnlimited) out["limit"] = *lim;
  return out;
}

// io.stat "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." -> runc's blkio entry lists.
json blkio(const std::string& path) {
  json bytes = json::array(), ios = json::array();
  for (const auto& d : parse_io_stat(try_read_file(path + "/io.stat").value_or(""))) {
    auto entry = [&](const char* op, uint64_t v) {
      return json{{"major", d.major}, {"minor", d.minor}, {"op", op}, {"value", v}};
    };
    bytes.push_back(entry("read", d.read_bytes));
    bytes.push_back(entry("write", d.write_bytes));
    ios.push_back(entry("read", d.read_ios));
    ios.push_back(entry("write", d.write_ios));
  }
  return {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
}

}  // namespace

std::vector<uint16_t> parse_cpu_list(const std::string& text) {
  std::vector<uint16_t> out;
  for (const auto& r : cpu_list::parse_lenient(text)) {
    if (r.last > 65535) continue;  // runc's type is uint16
    for (unsigned c = r.first; c <= r.last; ++c) out.push_back(static_cast<uint16_t>(c));
  }
  return out;
}

json runc_stats(const std::string& path) {
  json s;
  s["cpu"] = cpu(path);
  s["cpuset"] = {{"cpus", parse_cpu_list(try_read_file(path + "/cpuset.cpus.effective").value_or(""))},
                 {"mems", parse_cpu_list(try_read_file(path + "/cpuset.mems.effective").value_or(""))}};
  s["memory"] = memory(path);
  s["pids"] = pids(path);
  s["blkio"] = blkio(path);
  s["hugetlb"] = json::object();
  s["intel_rdt"] = json::object();
  s["network_interfaces"] = nullptr;
  return s;
}

std::optional<uint64_t> oom_kill_count(const std::string& path) {
  auto text = try_read_file(path + "/memory.events");
  if (!text) return std::nullopt;
  return flat_number(*text, "oom_kill").value_or(0);
}

}  // namespace vcrun::cgroup
