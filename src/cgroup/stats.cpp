// Reading cgroup statistics files into typed figures.
#include "cgroup/stats.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "base/fs_util.hpp"
#include "cgroup/flat_keyed.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

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
  auto cpu = try_read_file(path + "/cpu.stat");
  if (!cpu) return s;
  s.present = true;
  auto c = parse_flat_keyed(*cpu);
  s.cpu_usage_usec = c["usage_usec"];
  s.nr_throttled = c["nr_throttled"];
  s.throttled_usec = c["throttled_usec"];
  if (auto m = try_read_file(path + "/memory.current")) s.memory_current = parse_single_value(*m);
  if (auto m = try_read_file(path + "/memory.max")) s.memory_max = parse_single_value(*m);
  if (auto p = try_read_file(path + "/pids.current")) s.pids_current = parse_single_value(*p);
  if (auto p = try_read_file(path + "/pids.max")) s.pids_max = parse_single_value(*p);
  if (!s.pids_current) {
    // No pids controller: count the processes instead.
    if (auto procs = try_read_file(path + "/cgroup.procs")) {
      uint64_t n = 0;
      std::istringstream in(*procs);
      std::string l;
      while (std::getline(in, l))
        if (!l.empty()) ++n;
      s.pids_current = n;
    }
  }
  if (auto io = try_read_file(path + "/io.stat")) s.io_devices = parse_io_stat(*io);
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

}  // namespace vcrun::cgroup
