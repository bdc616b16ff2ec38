// Link rates as text, the way tc(8) writes them ("10mbit", "1.5gbit", "500kbps"): parsing
// and printing (vcrun/net_values.hpp).
#include <cmath>
#include <cstdlib>
#include <strings.h>

#include "net/values/parse_count.hpp"
#include "vcrun/net_values.hpp"

namespace vcrun {

namespace {

struct Unit {
  const char* name;
  double bits;
};

constexpr Unit kUnits[] = {
    {"bit", 1},        {"kbit", 1e3},           {"mbit", 1e6},           {"gbit", 1e9},
    {"tbit", 1e12},    {"kibit", 1024.0},       {"mibit", 1048576.0},    {"gibit", 1073741824.0},
    {"tibit", 1099511627776.0},
    {"bps", 8},        {"kbps", 8e3},           {"mbps", 8e6},           {"gbps", 8e9},
    {"tbps", 8e12},    {"kibps", 8 * 1024.0},   {"mibps", 8 * 1048576.0}, {"gibps", 8 * 1073741824.0},
    {"tibps", 8 * 1099511627776.0},
};

std::optional<uint64_t> fail(std::string* why, const std::string& reason) {
  if (why) *why = reason;
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> parse_rate(const std::string& text, std::string* why) {
  ++net_values_detail::parses.rate;
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  std::string number = text.substr(0, i), unit = text.substr(i);
  char* end = nullptr;
  double v = number.empty() ? NAN : std::strtod(number.c_str(), &end);
  if (number.empty() || *end != 0 || !std::isfinite(v))
    return fail(why, "expected a rate like 10mbit or 1gbit");
  if (unit.empty()) return fail(why, "needs a unit (bit, kbit, mbit, gbit, bps, kbps, mbps, ...)");
  const Unit* u = nullptr;
  for (const auto& candidate : kUnits)
    if (::strcasecmp(candidate.name, unit.c_str()) == 0) u = &candidate;
  if (!u) return fail(why, "unknown unit \"" + unit + "\" (use bit, kbit, mbit, gbit, bps, kbps, mbps, ...)");
  double bits = std::round(v * u->bits);
  if (bits < 1) return fail(why, "must be more than zero");
  if (bits >= 18446744073709551616.0) return fail(why, "is too large");
  return static_cast<uint64_t>(bits);
}

std::string rate_text(uint64_t bits) {
  const std::pair<uint64_t, const char*> units[] = {
      {1000000000000ULL, "tbit"}, {1000000000ULL, "gbit"}, {1000000ULL, "mbit"}, {1000ULL, "kbit"}};
  for (const auto& [size, name] : units)
    if (bits >= size && bits % size == 0) return std::to_string(bits / size) + name;
  return std::to_string(bits) + "bit";
}

}  // namespace vcrun
