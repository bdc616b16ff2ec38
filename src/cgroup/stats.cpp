// Reading cgroup statistics files and presenting them (table / JSON).
#include "cgroup/stats.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "base/fs_util.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

std::optional<std::string> try_read(const std::string& path) {
  try {
    return read_file(path);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

std::map<std::string, uint64_t> parse_flat_keyed(const std::string& text) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string k;
    uint64_t v;
    if (l >> k >> v) out[k] = v;
  }
  return out;
}

std::vector<DeviceIo> parse_io_stat(const std::string& text) {
  std::vector<DeviceIo> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string word;
    DeviceIo d;
    if (!(words >> word) || std::sscanf(word.c_str(), "%u:%u", &d.major, &d.minor) != 2) continue;
    while (words >> word) {
      auto eq = word.find('=');
      if (eq == std::string::npos) continue;
      std::string k = word.substr(0, eq);
      uint64_t v = std::strtoull(word.c_str() + eq + 1, nullptr, 10);
      if (k == "rbytes") d.read_bytes = v;
      else if (k == "wbytes") d.write_bytes = v;
      else if (k == "rios") d.read_ios = v;
      else if (k == "wios") d.write_ios = v;
    }
    out.push_back(d);
  }
  return out;
}

std::optional<uint64_t> parse_single_value(const std::string& text) {
  std::istringstream in(text);
  std::string v;
  in >> v;
  if (v.empty() || v == "max") return std::nullopt;
  try {
    return std::stoull(v);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Stats read_stats(const std::string& id, const std::string& path) {
  Stats s;
  s.id = id;
  s.path = path;
  auto cpu = try_read(path + "/cpu.stat");
  if (!cpu) return s;
  s.present = true;
  auto c = parse_flat_keyed(*cpu);
  s.cpu_usage_usec = c["usage_usec"];
  s.nr_throttled = c["nr_throttled"];
  s.throttled_usec = c["throttled_usec"];
  if (auto m = try_read(path + "/memory.current")) s.memory_current = parse_single_value(*m);
  if (auto m = try_read(path + "/memory.max")) s.memory_max = parse_single_value(*m);
  if (auto p = try_read(path + "/pids.current")) s.pids_current = parse_single_value(*p);
  if (auto p = try_read(path + "/pids.max")) s.pids_max = parse_single_value(*p);
  if (!s.pids_current) {
    // No pids controller: count the processes instead.
    if (auto procs = try_read(path + "/cgroup.procs")) {
      uint64_t n = 0;
      std::istringstream in(*procs);
      std::string l;
      while (std::getline(in, l))
        if (!l.empty()) ++n;
      s.pids_current = n;
    }
  }
  if (auto io = try_read(path + "/io.stat")) s.io_devices = parse_io_stat(*io);
  for (const auto& d : s.io_devices) {
    s.io_read_bytes += d.read_bytes;
    s.io_write_bytes += d.write_bytes;
  }
  return s;
}

std::vector<Stats> sample_stats(const std::vector<std::pair<std::string, std::string>>& containers,
                                std::chrono::milliseconds interval) {
  std::vector<uint64_t> before;
  for (const auto& [id, path] : containers) before.push_back(read_stats(id, path).cpu_usage_usec);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(interval);
  double wall = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  std::vector<Stats> out;
  for (size_t i = 0; i < containers.size(); ++i) {
    Stats s = read_stats(containers[i].first, containers[i].second);
    if (s.present && s.cpu_usage_usec >= before[i] && wall > 0)
      s.cpu_percent = 100.0 * static_cast<double>(s.cpu_usage_usec - before[i]) / wall;
    out.push_back(s);
  }
  return out;
}

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

std::string format_stats_table(const std::vector<Stats>& stats) {
  std::ostringstream o;
  char line[512];
  std::snprintf(line, sizeof line, "%-24s %7s %21s %11s %19s %10s\n", "ID", "CPU %", "MEM USAGE / LIMIT",
                "PIDS", "IO READ / WRITE", "THROTTLED");
  o << line;
  for (const auto& s : stats) {
    if (!s.present) {
      std::snprintf(line, sizeof line, "%-24s %7s %21s %11s %19s %10s\n", s.id.c_str(), "-", "-", "-", "-", "-");
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
    std::snprintf(line, sizeof line, "%-24s %6.2f%% %21s %11s %19s %10s\n", s.id.c_str(), s.cpu_percent,
                  mem.c_str(), pids.c_str(), io.c_str(), thr);
    o << line;
  }
  return o.str();
}

nlohmann::json stats_json(const std::vector<Stats>& stats) {
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
    auto opt = [](const std::optional<uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    j["memory"] = {{"current", opt(s.memory_current)}, {"max", opt(s.memory_max)}};
    j["pids"] = {{"current", opt(s.pids_current)}, {"max", opt(s.pids_max)}};
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : s.io_devices)
      devices.push_back({{"major", d.major}, {"minor", d.minor}, {"read_bytes", d.read_bytes},
                         {"write_bytes", d.write_bytes}, {"read_ios", d.read_ios},
                         {"write_ios", d.write_ios}});
    j["io"] = {{"read_bytes", s.io_read_bytes}, {"write_bytes", s.io_write_bytes}, {"devices", devices}};
    arr.push_back(j);
  }
  return arr;
}

}  // namespace vcrun::cgroup
