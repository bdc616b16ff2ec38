// `vcrun stats` output: the library's typed ContainerStats as a table or as JSON.
#include "stats_format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "vcrun/error.hpp"

namespace vcrun::cli {

namespace {

// "7663:10", as tc writes a class id.
std::string class_text(uint32_t classid) {
  char text[16];
  std::snprintf(text, sizeof text, "%x:%x", classid >> 16, classid & 0xffff);
  return text;
}

std::string usage_table(const std::vector<ContainerStats>& stats) {
  std::ostringstream o;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %7s %21s %11s %19s %10s\n", "ID", "CPU %",
                "MEM USAGE / LIMIT", "PIDS", "IO READ / WRITE", "THROTTLED");
  o << line;
  for (const auto& s : stats) {
    if (!s.present) {
      std::snprintf(line, sizeof line, "%-24s %7s %21s %11s %19s %10s\n", s.id.c_str(), "-", "-",
                    "-", "-", "-");
      o << line;
      continue;
    }
    std::string mem = s.memory_current ? human_bytes(*s.memory_current) : "-";
    // Appended piecewise: `"/" + std::string&&` trips GCC 12's false -Wrestrict at -O3
    // (GCC bug 105329).
    mem += " / ";
    mem += s.memory_max ? human_bytes(*s.memory_max) : std::string("max");
    std::string pids = s.pids_current ? std::to_string(*s.pids_current) : "-";
    if (s.pids_max) {
      pids += '/';
      pids += std::to_string(*s.pids_max);
    }
    std::string io = human_bytes(s.io_read_bytes) + " / " + human_bytes(s.io_write_bytes);
    char thr[32];
    std::snprintf(thr, sizeof thr, "%.2fs", static_cast<double>(s.throttled_usec) / 1e6);
    std::snprintf(line, sizeof line, "%-24s %6.2f%% %21s %11s %19s %10s\n", s.id.c_str(),
                  s.cpu_percent, mem.c_str(), pids.c_str(), io.c_str(), thr);
    o << line;
  }
  return o.str();
}

}  // namespace

std::string human_bytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
  return buf;
}

std::string stats_table(const std::vector<ContainerStats>& stats) {
  std::string out = usage_table(stats);
  bool any = std::any_of(stats.begin(), stats.end(),
                         [](const ContainerStats& s) { return s.network.has_value(); });
  if (!any) return out;
  char line[256];
  std::snprintf(line, sizeof line, "\n%-20s %-10s %-10s %14s %12s %10s\n", "ID", "EGRESS", "CLASS",
                "NET BYTES", "NET PACKETS", "NET DROPS");
  out += line;
  for (const auto& s : stats) {
    if (!s.network) continue;
    const auto& n = *s.network;
    std::snprintf(line, sizeof line, "%-20s %-10s %-10s %14llu %12llu %10llu\n", s.id.c_str(),
                  n.device.c_str(), class_text(n.classid).c_str(), static_cast<unsigned long long>(n.bytes),
                  static_cast<unsigned long long>(n.packets), static_cast<unsigned long long>(n.drops));
    out += line;
  }
  return out;
}

nlohmann::json stats_json(const std::vector<ContainerStats>& stats) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : stats) {
    nlohmann::json j;
    j["id"] = s.id;
    j["cgroup"] = s.path;
    j["present"] = s.present;
    j["cpu"] = {{"percent", s.cpu_percent},
                {"usage_usec", s.cpu_usage_usec},
                {"nr_throttled", s.nr_throttled},
                {"throttled_usec", s.throttled_usec}};
    auto opt = [](const std::optional<uint64_t>& v) {
      return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    j["memory"] = {{"current", opt(s.memory_current)}, {"max", opt(s.memory_max)}};
    j["pids"] = {{"current", opt(s.pids_current)}, {"max", opt(s.pids_max)}};
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : s.io_devices)
      devices.push_back({{"major", d.major}, {"minor", d.minor}, {"read_bytes", d.read_bytes},
                         {"write_bytes", d.write_bytes}, {"read_ios", d.read_ios},
                         {"write_ios", d.write_ios}});
    j["io"] = {{"read_bytes", s.io_read_bytes}, {"write_bytes", s.io_write_bytes}, {"devices", devices}};
    if (s.network) {
      const auto& n = *s.network;
      j["network"] = {{"device", n.device},   {"class", class_text(n.classid)}, {"bytes", n.bytes},
                      {"packets", n.packets}, {"drops", n.drops}, {"overlimits", n.overlimits}};
    }
    arr.push_back(j);
  }
  return arr;
}

std::string format_stats(const std::vector<ContainerStats>& stats, const std::string& format) {
  if (format == "json") return stats_json(stats).dump(2) + "\n";
  if (format == "table") return stats_table(stats);
  throw SpecError("--format", "expected table or json, got \"" + format + "\"");
}

}  // namespace vcrun::cli
