// Unit tests: the CPU planner's weights, caps and admission control (docs/design.md).
#include <catch2/catch.hpp>

#include <numeric>

#include "cgroup/cpu_planner.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;
using namespace vcrun::cgroup;

namespace {

PlanMember member(const std::string& name, double r, double s) {
  PlanMember m;
  m.path = "/cg/vcrun/" + name;
  m.reservation = r;
  m.share = s;
  return m;
}

double weight_fraction(const std::vector<PlanResult>& res, size_t i) {
  double sum = 0;
  for (const auto& r : res) sum += static_cast<double>(r.weight.value_or(0));
  return static_cast<double>(*res[i].weight) / sum;
}

}  // namespace

TEST_CASE("equal shares leave the default weights", "[unit]") {
  std::vector<PlanMember> ms;
  for (int i = 0; i < 8; ++i) ms.push_back(member("c" + std::to_string(i), 0, 1));
  auto res = compute_plan(ms, 1);
  for (const auto& r : res) {
    CHECK(r.weight == 100u);
    CHECK(r.cpu_max == "max 100000");
    CHECK(!r.work_conserving_reservation);
    CHECK(r.target == Approx(0.125));
  }
}

TEST_CASE("a work-conserving reservation gets r plus its share of the rest", "[unit]") {
  std::vector<PlanMember> ms = {member("res", 0.25, 1)};
  for (int i = 0; i < 7; ++i) ms.push_back(member("c" + std::to_string(i), 0, 1));
  auto res = compute_plan(ms, 2);
  CHECK(res[0].target == Approx(0.25 + 0.75 / 8));
  CHECK(weight_fraction(res, 0) == Approx(0.25 + 0.75 / 8).margin(0.001));
  CHECK(*res[0].weight == 1250u);  // headroom for the monitor: 10000 / kMonitorHeadroom
  CHECK(res[0].work_conserving_reservation);
  CHECK(res[0].cpu_max == "max 100000");
  for (size_t i = 1; i < res.size(); ++i) CHECK(weight_fraction(res, i) == Approx(0.75 / 8).margin(0.001));
}

TEST_CASE("a capped reservation gets weight 10000 and cpu.max r*period*ncpus", "[unit]") {
  std::vector<PlanMember> ms = {member("res", 0.25, 0)};
  for (int i = 0; i < 7; ++i) ms.push_back(member("c" + std::to_string(i), 0, 1));
  auto one = compute_plan(ms, 1);
  CHECK(*one[0].weight == 10000u);
  CHECK(one[0].cpu_max == "25000 100000");
  CHECK(!one[0].work_conserving_reservation);
  // Its weight is far above its proportional 25 %: the cap decides what it gets.
  CHECK(weight_fraction(one, 0) > 0.6);
  // The others still split the rest evenly.
  for (size_t i = 2; i < one.size(); ++i) CHECK(*one[i].weight == *one[1].weight);
  CHECK(one[1].target == Approx(0.75 / 7));
  auto two = compute_plan(ms, 2);
  CHECK(two[0].cpu_max == "50000 100000");
}

TEST_CASE("shares split the unreserved capacity", "[unit]") {
  std::vector<PlanMember> ms = {member("a", 0, 2), member("b", 0, 1), member("c", 0, 1)};
  auto res = compute_plan(ms, 1);
  CHECK(weight_fraction(res, 0) == Approx(0.5).margin(0.001));
  CHECK(weight_fraction(res, 1) == Approx(0.25).margin(0.001));
}

TEST_CASE("members with their own weight or cap are left alone", "[unit]") {
  auto fixed = member("oci", 0, 1);
  fixed.fixed_weight = true;
  auto own = member("quota", 0.2, 1);
  own.own_cpu_max = true;
  auto res = compute_plan({fixed, own, member("x", 0, 1)}, 1);
  CHECK(!res[0].weight);
  CHECK(!res[0].cpu_max);
  CHECK(!res[1].cpu_max);
  CHECK(res[1].weight);
}

TEST_CASE("admission refuses over-commitment with a clear error", "[unit]") {
  std::vector<PlanMember> ms = {member("a", 0.5, 1), member("b", 0.3, 0)};
  CHECK_NOTHROW(check_admission(ms, member("c", 0.2, 1), "/cg/vcrun"));
  CHECK_THROWS_WITH(check_admission(ms, member("c", 0.25, 1), "/cg/vcrun"),
                    Catch::Contains("vcrun.cpu.reservation") && Catch::Contains("must not exceed 1") &&
                        Catch::Contains("0.8"));
  // An update replaces the member's own reservation instead of adding to it.
  CHECK_NOTHROW(check_admission(ms, member("a", 0.7, 1), "/cg/vcrun"));
  CHECK(parent_of("/cg/vcrun/a") == "/cg/vcrun");
}
