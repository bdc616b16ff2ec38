// HTB class rates and admission from the classes' reservations, shares and ceils (pure).
#include "net/policy/htb_planner.hpp"

#include <algorithm>
#include <cmath>

#include "net/values/rate.hpp"
#include "vcrun/error.hpp"

namespace vcrun::net {

namespace {

// Errors name the spec's path; the command line maps it to its flag.
constexpr char kRateField[] = "vcrun.network.rate";
constexpr char kCeilField[] = "vcrun.network.ceil";
constexpr char kShareField[] = "vcrun.network.share";

}  // namespace

uint64_t htb_default_rate(uint64_t link) { return std::max<uint64_t>(link / 100, 8000); }

uint32_t htb_quantum(double share) {
  if (share <= 0) return 1500;
  return static_cast<uint32_t>(std::clamp(std::round(share * kQuantumPerShare), 1.0, 1e9));
}

std::vector<HtbClass> plan_htb(const std::vector<HtbDemand>& classes, uint64_t link) {
  uint64_t reserved = 0;
  double shares = 0;
  for (const auto& e : classes) {
    reserved += e.rate;
    if (e.share > 0) shares += e.share;
  }
  uint64_t fixed = reserved + htb_default_rate(link);
  double excess = fixed < link ? static_cast<double>(link - fixed) : 0;
  std::vector<HtbClass> out;
  out.reserve(classes.size());
  for (const auto& e : classes) {
    uint64_t ceil = e.ceil ? e.ceil : (e.share > 0 || !e.rate ? link : e.rate);
    uint64_t rate = e.rate + (e.share > 0 && shares > 0 ? static_cast<uint64_t>(excess * e.share / shares) : 0);
    rate = std::clamp<uint64_t>(rate, 1000, ceil);
    out.push_back({e.minor, std::max<uint64_t>(rate / 8, 1), std::max<uint64_t>(ceil / 8, 1), htb_quantum(e.share)});
  }
  return out;
}

void admit_htb(const std::vector<HtbDemand>& classes, std::optional<uint64_t> rate, std::optional<uint64_t> ceil,
               const std::string& device, uint64_t link, uint32_t except) {
  if (ceil && *ceil > link)
    throw SpecError(kCeilField, rate_text(*ceil) + " is above the link rate of " + device + " (" + rate_text(link) + ")");
  if (!rate) return;
  uint64_t reserved = 0;
  size_t holders = 0;
  for (const auto& c : classes) {
    if (c.minor == except) continue;
    reserved += c.rate;
    if (c.rate) ++holders;
  }
  if (reserved + *rate > link)
    throw SpecError(kRateField, rate_text(*rate) + " does not fit on " + device + ": " + rate_text(reserved) + " of its " +
                                    rate_text(link) + " are reserved by " + std::to_string(holders) + " container(s)");
}

HtbDemand updated_demand(const HtbDemand& current, std::optional<uint64_t> rate, std::optional<uint64_t> ceil,
                         std::optional<double> share) {
  HtbDemand d = current;
  if (rate) d.rate = *rate;
  if (ceil) d.ceil = *ceil;
  if (share) d.share = *share;
  if (d.share == 0 && !d.rate) throw SpecError(kShareField, "0 (capped) needs a rate (" + std::string(kRateField) + ")");
  if (d.rate && d.ceil && d.ceil < d.rate)
    throw SpecError(kCeilField, rate_text(d.ceil) + " is below the rate " + rate_text(d.rate));
  return d;
}

}  // namespace vcrun::net
