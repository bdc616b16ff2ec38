// Quick-mode resource flags -> ContainerSpec fields, with size/fraction parsing.
#include "cgroup/quick_flags.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

int64_t parse_int(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  if (text.empty() || text.find_first_not_of("0123456789-") != std::string::npos)
    throw SpecError(flag, "expected a whole number, got " + quoted(text));
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != 0 || v < lo || v > hi)
    throw SpecError(flag, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                              ", got " + quoted(text));
  return v;
}

}  // namespace

bool QuickResourceFlags::empty() const {
  return cpu_reserve.empty() && cpu_share.empty() && cpus.empty() && cpuset.empty() && memory.empty() &&
         memory_reserve.empty() && pids.empty() && io_weight.empty();
}

double parse_fraction(const std::string& flag, const std::string& text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != 0 || !std::isfinite(v))
    throw SpecError(flag, "expected a number, got " + quoted(text));
  if (v < lo || v > hi) {
    // Trim "0.000000" noise for the message.
    auto tidy = [](double d) {
      std::string s = std::to_string(d);
      while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
        bool dot = s.back() == '.';
        s.pop_back();
        if (dot) break;
      }
      return s;
    };
    std::string range = std::isinf(hi) ? ">= " + tidy(lo) : "between " + tidy(lo) + " and " + tidy(hi);
    throw SpecError(flag, "must be " + range + ", got " + quoted(text));
  }
  return v;
}

int64_t parse_size(const std::string& flag, const std::string& text) {
  if (text == "max" || text == "-1") return -1;
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  std::string number = text.substr(0, i), unit = text.substr(i);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() > 1) unit.pop_back();
  if (unit == "i" || (unit.size() == 2 && (unit[1] == 'i'))) unit = unit.substr(0, 1);
  double mult = 1;
  if (unit.empty() || unit == "b" || unit == "B") mult = 1;
  else if (unit == "k" || unit == "K") mult = 1024.0;
  else if (unit == "m" || unit == "M") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "G") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
  else
    throw SpecError(flag, "unknown size unit in " + quoted(text) + " (use K, M, G or T, e.g. 512M)");
  char* end = nullptr;
  double v = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  if (number.empty() || *end != 0 || !std::isfinite(v))
    throw SpecError(flag, "expected a size like 512M or 1G, got " + quoted(text));
  double bytes = std::floor(v * mult);
  if (bytes > static_cast<double>(std::numeric_limits<int64_t>::max() / 2))
    throw SpecError(flag, "size " + quoted(text) + " is too large");
  return static_cast<int64_t>(bytes);
}

void apply_quick_flags(ContainerSpec& spec, const QuickResourceFlags& f) {
  auto& res = spec.linux.resources;
  auto resources = [&]() -> Resources& {
    if (!res) res = Resources{};
    return *res;
  };
  if (!f.cpu_reserve.empty()) spec.vcrun.cpu_reservation = parse_fraction("--cpu-reserve", f.cpu_reserve, 0, 1);
  if (!f.cpu_share.empty())
    spec.vcrun.cpu_share = parse_fraction("--cpu-share", f.cpu_share, 0, std::numeric_limits<double>::infinity());
  if (!f.cpus.empty()) {
    double cpus = parse_fraction("--cpus", f.cpus, 0.01, 4096);
    auto& cpu = resources().cpu;
    if (!cpu) cpu = CpuResources{};
    cpu->period = 100000;
    cpu->quota = static_cast<int64_t>(std::llround(cpus * 100000));
  }
  if (!f.cpuset.empty()) {
    auto& cpu = resources().cpu;
    if (!cpu) cpu = CpuResources{};
    if (f.cpuset.find_first_not_of("0123456789,-") != std::string::npos)
      throw SpecError("--cpuset", "expected a CPU list like 0-1,3, got " + quoted(f.cpuset));
    cpu->cpus = f.cpuset;
  }
  if (!f.memory.empty() || !f.memory_reserve.empty()) {
    auto& mem = resources().memory;
    if (!mem) mem = MemoryResources{};
    if (!f.memory.empty()) {
      mem->limit = parse_size("--memory", f.memory);
      if (*mem->limit == 0) throw SpecError("--memory", "must be greater than 0 (or max)");
    }
    if (!f.memory_reserve.empty()) mem->reservation = parse_size("--memory-reserve", f.memory_reserve);
  }
  if (!f.pids.empty()) {
    int64_t n = f.pids == "max" ? -1 : parse_int("--pids", f.pids, -1, 4194304);
    if (n == 0) throw SpecError("--pids", "must be at least 1 (or max)");
    resources().pids_limit = n;
  }
  if (!f.io_weight.empty()) {
    auto& io = resources().block_io;
    if (!io) io = BlockIoResources{};
    io->weight = static_cast<uint16_t>(parse_int("--io-weight", f.io_weight, 10, 1000));
  }
}

}  // namespace vcrun::cgroup
