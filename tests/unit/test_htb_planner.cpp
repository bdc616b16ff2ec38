// Unit tests: the HTB planner's class rates, ceils, quanta and admission (net/policy/htb_planner).
#include <catch2/catch.hpp>

#include "net/policy/htb_planner.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::net;

namespace {

constexpr uint64_t kLink = 100'000'000;  // 100mbit

HtbDemand demand(uint32_t minor, uint64_t rate, double share, uint64_t ceil = 0) {
  HtbDemand d;
  d.minor = minor;
  d.rate = rate;
  d.share = share;
  d.ceil = ceil;
  return d;
}

std::string admission_error(const std::vector<HtbDemand>& classes, std::optional<uint64_t> rate,
                            std::optional<uint64_t> ceil, uint32_t except = 0) {
  try {
    admit_htb(classes, rate, ceil, "eth0", kLink, except);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "<admitted>";
}

std::string update_error(const HtbDemand& current, std::optional<uint64_t> rate, std::optional<uint64_t> ceil,
                         std::optional<double> share) {
  try {
    updated_demand(current, rate, ceil, share);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "<coherent>";
}

}  // namespace

TEST_CASE("htb admission: a reservation filling the link exactly is admitted", "[unit]") {
  std::vector<HtbDemand> held = {demand(0x10, 60'000'000, 1)};
  CHECK(admission_error(held, 40'000'000, std::nullopt) == "<admitted>");
  CHECK(admission_error(held, std::nullopt, kLink) == "<admitted>");  // a ceil at the link
  CHECK(admission_error({}, kLink, std::nullopt) == "<admitted>");
}

TEST_CASE("htb admission: a reservation or ceil above what the link holds is refused", "[unit]") {
  std::vector<HtbDemand> held = {demand(0x10, 60'000'000, 1), demand(0x11, 0, 3)};
  CHECK(admission_error(held, 50'000'000, std::nullopt) ==
        "vcrun.network.rate: 50mbit does not fit on eth0: 60mbit of its 100mbit are reserved by 1 container(s)");
  CHECK(admission_error(held, 40'000'001, std::nullopt).rfind("vcrun.network.rate: 40000001bit does not fit", 0) == 0);
  CHECK(admission_error(held, std::nullopt, 200'000'000) ==
        "vcrun.network.ceil: 200mbit is above the link rate of eth0 (100mbit)");
}

TEST_CASE("htb plan: shares split what the reservations and the default class leave", "[unit]") {
  CHECK(htb_default_rate(kLink) == 1'000'000);  // 1 %
  CHECK(htb_default_rate(100'000) == 8000);     // at least 8 kbit/s
  auto shares = plan_htb({demand(0x10, 0, 2), demand(0x11, 0, 1)}, kLink);
  REQUIRE(shares.size() == 2);
  CHECK(shares[0].minor == 0x10);
  CHECK(shares[0].rate_bytes == 66'000'000 / 8);  // 99mbit * 2/3
  CHECK(shares[1].rate_bytes == 33'000'000 / 8);
  CHECK(shares[0].quantum == 24000);
  CHECK(shares[1].quantum == 12000);
  // A reservation gets r plus its share of the rest: 30 + 69/2 and 69/2 mbit.
  auto reserved = plan_htb({demand(0x10, 30'000'000, 1), demand(0x11, 0, 1)}, kLink);
  CHECK(reserved[0].rate_bytes == 64'500'000 / 8);
  CHECK(reserved[1].rate_bytes == 34'500'000 / 8);
  for (const auto& c : reserved) CHECK(c.ceil_bytes == kLink / 8);
}

TEST_CASE("htb plan: share 0 is capped at its reservation and borrows by one packet", "[unit]") {
  auto plan = plan_htb({demand(0x10, 20'000'000, 0), demand(0x11, 0, 1)}, kLink);
  REQUIRE(plan.size() == 2);
  CHECK(plan[0].rate_bytes == 20'000'000 / 8);
  CHECK(plan[0].ceil_bytes == 20'000'000 / 8);
  CHECK(plan[0].quantum == 1500);
  CHECK(plan[1].rate_bytes == 79'000'000 / 8);  // the whole leftover: the capped class has no share
  CHECK(plan[1].ceil_bytes == kLink / 8);
}

TEST_CASE("htb plan: the ceil defaults to the link and bounds the rate", "[unit]") {
  auto plan = plan_htb({demand(0x10, 0, 1, 50'000'000), demand(0x11, 0, 0), demand(0x12, 0, 1)}, kLink);
  REQUIRE(plan.size() == 3);
  CHECK(plan[0].ceil_bytes == 50'000'000 / 8);  // a given ceil
  CHECK(plan[0].rate_bytes == 49'500'000 / 8);  // half of 99mbit, under the ceil
  CHECK(plan[1].ceil_bytes == kLink / 8);       // share 0 without a reservation: not capped
  CHECK(plan[1].rate_bytes == 1000 / 8);        // nothing guaranteed: the 1 kbit/s floor
  CHECK(plan[2].ceil_bytes == kLink / 8);
  // One class alone: its share of 99mbit, clamped to its ceil of 10mbit.
  auto alone = plan_htb({demand(0x10, 0, 1, 10'000'000)}, kLink);
  CHECK(alone[0].rate_bytes == 10'000'000 / 8);
  CHECK(alone[0].ceil_bytes == 10'000'000 / 8);
}

TEST_CASE("htb update: the changed class is admitted again against the others only", "[unit]") {
  std::vector<HtbDemand> held = {demand(0x10, 50'000'000, 1), demand(0x11, 40'000'000, 1)};
  HtbDemand raised = updated_demand(held[0], 60'000'000, std::nullopt, 3.0);
  CHECK(raised.minor == 0x10);
  CHECK(raised.rate == 60'000'000);
  CHECK(raised.share == 3);
  CHECK(raised.ceil == 0);  // kept
  CHECK(admission_error(held, raised.rate, std::nullopt, 0x10) == "<admitted>");
  CHECK(admission_error(held, 61'000'000, std::nullopt, 0x10) ==
        "vcrun.network.rate: 61mbit does not fit on eth0: 40mbit of its 100mbit are reserved by 1 container(s)");
  // Counted twice without the exception.
  CHECK(admission_error(held, 60'000'000, std::nullopt) != "<admitted>");
  CHECK(update_error(demand(0x10, 0, 1), std::nullopt, std::nullopt, 0.0) ==
        "vcrun.network.share: 0 (capped) needs a rate (vcrun.network.rate)");
  CHECK(update_error(demand(0x10, 20'000'000, 1), std::nullopt, 10'000'000, std::nullopt) ==
        "vcrun.network.ceil: 10mbit is below the rate 20mbit");
  CHECK(update_error(demand(0x10, 20'000'000, 1), std::nullopt, std::nullopt, 0.0) == "<coherent>");
}
