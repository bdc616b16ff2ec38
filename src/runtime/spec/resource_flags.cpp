// Resource flags (vcrun/quick.hpp) -> ContainerSpec fields, with size/fraction parsing; errors
// name the spec field a flag sets (cmd/vcrun names the flag).
#include "base/text.hpp"
#include "runtime/spec/resource_flags.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "base/cpu_list.hpp"
#include "runtime/spec/validate.hpp"
#include "vcrun/error.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun {

namespace {

int64_t parse_int(const std::string& field, const std::string& text, int64_t lo, int64_t hi) {
  if (text.empty() || text.find_first_not_of("0123456789-") != std::string::npos)
    throw SpecError(field, "expected a whole number, got " + quoted(text));
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != 0 || v < lo || v > hi)
    throw SpecError(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                              ", got " + quoted(text));
  return v;
}

}  // namespace

bool ResourceFlags::empty() const {
  for (const std::string* s : {&cpu_reserve, &cpu_fair_share, &cpus, &cpuset, &memory, &memory_reserve, &pids,
                                &io_weight, &cpu_shares, &cpu_quota, &cpu_period, &cpuset_cpus, &cpuset_mems,
                                &memory_reservation, &memory_swap, &pids_limit, &blkio_weight, &bind_allow, &net_rate,
                                &net_ceil, &net_share})
    if (!s->empty()) return false;
  return true;
}

double parse_fraction(const std::string& field, const std::string& text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != 0 || !std::isfinite(v))
    throw SpecError(field, "expected a number, got " + quoted(text));
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
    throw SpecError(field, "must be " + range + ", got " + quoted(text));
  }
  return v;
}

int64_t parse_size(const std::string& field, const std::string& text) {
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
    throw SpecError(field, "unknown size unit in " + quoted(text) + " (use K, M, G or T, e.g. 512M)");
  char* end = nullptr;
  double v = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  if (number.empty() || *end != 0 || !std::isfinite(v))
    throw SpecError(field, "expected a size like 512M or 1G, got " + quoted(text));
  double bytes = std::floor(v * mult);
  if (bytes > static_cast<double>(std::numeric_limits<int64_t>::max() / 2))
    throw SpecError(field, "size " + quoted(text) + " is too large");
  return static_cast<int64_t>(bytes);
}

namespace {

CpuResources& cpu_of(Resources& r) {
  if (!r.cpu) r.cpu = CpuResources{};
  return *r.cpu;
}

MemoryResources& memory_of(Resources& r) {
  if (!r.memory) r.memory = MemoryResources{};
  return *r.memory;
}

void set_cpuset(const std::string& field, const std::string& text, std::string& out) {
  if (!cpu_list::parse(text))
    throw SpecError(field, "expected a list like 0-1,3, got " + quoted(text));
  out = text;
}

void set_io_weight(const std::string& field, const std::string& text, Resources& r) {
  if (!r.block_io) r.block_io = BlockIoResources{};
  r.block_io->weight = static_cast<uint16_t>(parse_int(field, text, 10, 1000));
}

void set_pids(const std::string& field, const std::string& text, Resources& r) {
  int64_t n = text == "max" ? -1 : parse_int(field, text, -1, 4194304);
  if (n == 0) throw SpecError(field, "must be at least 1 (or max)");
  r.pids_limit = n;
}

// --bind-allow ADDR[,ADDR...], or "none" for an empty list (no address may be bound).
BindAllowList parse_bind_allow_flag(const std::string& text) {
  std::vector<std::string> addresses;
  if (text == "none") return {};
  for (size_t start = 0;;) {
    size_t comma = text.find(',', start);
    addresses.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parse_bind_allow(addresses, "ResourceFlags.bind_allow", false);
}

}  // namespace

void apply_resource_flags(ContainerSpec& spec, const ResourceFlags& f) {
  auto& res = spec.linux.resources;
  auto resources = [&]() -> Resources& {
    if (!res) res = Resources{};
    return *res;
  };
  if (!f.cpu_reserve.empty()) spec.vcrun.cpu_reservation = parse_fraction("ResourceFlags.cpu_reserve", f.cpu_reserve, 0, 1);
  if (!f.cpu_fair_share.empty())
    spec.vcrun.cpu_share =
        parse_fraction("ResourceFlags.cpu_fair_share", f.cpu_fair_share, 0, std::numeric_limits<double>::infinity());
  if (!f.cpus.empty()) {
    double cpus = parse_fraction("ResourceFlags.cpus", f.cpus, 0.01, 4096);
    auto& cpu = cpu_of(resources());
    cpu.period = 100000;
    cpu.quota = static_cast<int64_t>(std::llround(cpus * 100000));
  }
  if (!f.cpu_quota.empty())
    cpu_of(resources()).quota = parse_int("ResourceFlags.cpu_quota", f.cpu_quota, -1, std::numeric_limits<int64_t>::max());
  if (!f.cpu_period.empty())
    cpu_of(resources()).period = static_cast<uint64_t>(parse_int("ResourceFlags.cpu_period", f.cpu_period, 0, 1000000));
  if (!f.cpu_shares.empty())
    cpu_of(resources()).shares = static_cast<uint64_t>(parse_int("ResourceFlags.cpu_shares", f.cpu_shares, 0, 262144));
  if (!f.cpuset.empty()) set_cpuset("ResourceFlags.cpuset", f.cpuset, cpu_of(resources()).cpus);
  if (!f.cpuset_cpus.empty()) set_cpuset("ResourceFlags.cpuset_cpus", f.cpuset_cpus, cpu_of(resources()).cpus);
  if (!f.cpuset_mems.empty()) set_cpuset("ResourceFlags.cpuset_mems", f.cpuset_mems, cpu_of(resources()).mems);
  if (!f.memory.empty()) {
    auto& mem = memory_of(resources());
    mem.limit = parse_size("ResourceFlags.memory", f.memory);
    if (*mem.limit == 0) throw SpecError("ResourceFlags.memory", "must be greater than 0 (or max)");
  }
  if (!f.memory_reserve.empty())
    memory_of(resources()).reservation = parse_size("ResourceFlags.memory_reserve", f.memory_reserve);
  if (!f.memory_reservation.empty())
    memory_of(resources()).reservation = parse_size("ResourceFlags.memory_reservation", f.memory_reservation);
  if (!f.memory_swap.empty()) memory_of(resources()).swap = parse_size("ResourceFlags.memory_swap", f.memory_swap);
  if (!f.pids.empty()) set_pids("ResourceFlags.pids", f.pids, resources());
  if (!f.pids_limit.empty()) set_pids("ResourceFlags.pids_limit", f.pids_limit, resources());
  if (!f.io_weight.empty()) set_io_weight("ResourceFlags.io_weight", f.io_weight, resources());
  if (!f.blkio_weight.empty()) set_io_weight("ResourceFlags.blkio_weight", f.blkio_weight, resources());
  if (res) spec_detail::validate_resources(*res);
  if (!f.bind_allow.empty()) spec.vcrun.bind_allow = parse_bind_allow_flag(f.bind_allow);
  if (!f.net_rate.empty()) spec.vcrun.network.rate = parse_rate_flag("ResourceFlags.net_rate", f.net_rate);
  if (!f.net_ceil.empty()) spec.vcrun.network.ceil = parse_rate_flag("ResourceFlags.net_ceil", f.net_ceil);
  if (!f.net_share.empty()) spec.vcrun.network.share = parse_fraction("ResourceFlags.net_share", f.net_share, 0, 1000);
}

uint64_t parse_rate_flag(const std::string& field, const std::string& text) {
  std::string why;
  auto bits = parse_rate(text, &why);
  if (!bits) throw SpecError(field, why + ", got " + quoted(text));
  return *bits;
}

}  // namespace vcrun
