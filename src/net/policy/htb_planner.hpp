// The HTB planner: each shaped container's reservation r, share s and ceil -> the rate and
// ceil of every class on one device, and admission of a reservation against the link. Pure:
// no kernel object, no file (shaping.cpp keeps the ledger and makes the classes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/objects/htb.hpp"

namespace vcrun::net {

// One class as its container asked for it (bits/s; 0: not given).
struct HtbDemand {
  uint32_t minor = 0;
  uint64_t rate = 0, ceil = 0;
  double share = 1;
};

// Bytes a share-1 class sends per DRR round when borrowing.
inline constexpr double kQuantumPerShare = 12000;

// What the default class (unclassified traffic) is guaranteed: 1 % of the link, at least
// 8 kbit/s.
uint64_t htb_default_rate(uint64_t link);

// The DRR quantum of a class of share `share` (share 0: one packet).
uint32_t htb_quantum(double share);

// Every class of the device, in the order given, as HTB parameters: rate = the reservation
// plus the class's share of what the reservations and the default class leave (as cpu.weight
// is computed), so that under contention each gets r + (L - R) * s / S by HTB's guarantee;
// ceil = the link (or the given ceil; a capped class, share 0: its reservation); quantum ∝
// share for the borrowing of what idle classes leave. (Measured: with rate = the reservation
// alone and shares only in the quanta, two TCP senders at shares 2:1 got 1.0:1 to 1.6:1,
// since TCP small queues keep a flow's backlog at a few packets and DRR rarely sees both
// busy.)
std::vector<HtbClass> plan_htb(const std::vector<HtbDemand>& classes, uint64_t link);

// Refuses (SpecError naming vcrun.network.ceil or vcrun.network.rate) a class asking for
// `rate` and `ceil` that the link `link` of `device` cannot hold beside `classes` (all but
// the one of minor `except`, the class being changed).
void admit_htb(const std::vector<HtbDemand>& classes, std::optional<uint64_t> rate, std::optional<uint64_t> ceil,
               const std::string& device, uint64_t link, uint32_t except);

// A class's demand after `vcrun update` (what is not given stays as `current` has it);
// SpecError when it is not coherent: share 0 without a rate, a ceil below the rate. Its
// admission (admit_htb with `except` = its minor) is the caller's next step.
HtbDemand updated_demand(const HtbDemand& current, std::optional<uint64_t> rate, std::optional<uint64_t> ceil,
                         std::optional<double> share);

}  // namespace vcrun::net
