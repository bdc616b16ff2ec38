// The CPU planner of docs/design.md: reservation r and share s per container -> cpu.weight (and
// cpu.max for capped reservations) of every sibling, plus admission control. The pure math
// is separate from the store that keeps every container's (r, s) under a lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vcrun::cgroup {

struct PlanMember {
  std::string path;          // absolute cgroup directory
  double reservation = 0;    // r, 0..1
  double share = 1;          // s, >= 0
  bool fixed_weight = false; // the spec set cpu.weight itself (OCI cpu.shares / unified)
  bool own_cpu_max = false;  // the spec set cpu.max itself (OCI quota/period)
};

struct PlanResult {
  std::string path;
  std::optional<uint64_t> weight;   // nullopt: leave cpu.weight alone
  std::optional<std::string> cpu_max;  // "Q P" for a capped reservation, "max" to clear one
  double target = 0;        // planned fraction of the parent's CPU under full contention
  bool work_conserving_reservation = false;  // r > 0 and s > 0: the monitor's job
};

constexpr uint64_t kCpuPeriod = 100000;  // microseconds
// How much a capped reservation's weight exceeds its proportional weight: its cap, not the
// weight race with its neighbours, should decide what it gets (docs/design.md: a weight of
// 10000 plus cpu.max held +-0.5 pp on two CPUs where proportional weight plus cap did not).
constexpr double kCappedBoost = 8.0;
// Room above a work-conserving reservation's planned weight for the CPU monitor to raise
// it (static weights under-deliver on several CPUs); without it a plan whose largest weight
// is the reserved one's 10000 leaves the loop nothing to turn.
constexpr double kMonitorHeadroom = 8.0;

// Pure: weights for all members of one parent. When no member has a reservation or a
// share other than 1, weights are left alone (nullopt): equal default weights already are
// the plan, and OCI-given weights stay untouched.
std::vector<PlanResult> compute_plan(const std::vector<PlanMember>& members, unsigned ncpus,
                                     uint64_t period = kCpuPeriod);

// Pure: throws SpecError("vcrun.cpu.reservation", ...) when adding `candidate` (replacing
// any member with the same path) would make the reservations of its parent exceed 1.
void check_admission(const std::vector<PlanMember>& members, const PlanMember& candidate,
                     const std::string& parent);

std::string parent_of(const std::string& path);

// The persistent plan: each member's (r, s) is an xattr (trusted.vcrun.cpu) of its cgroup
// directory; every change runs under an exclusive flock of the parent directory, so the
// plan is one per parent even across runtime roots, and removed directories simply drop out.
// The exception is the common case: a member with no reservation, share 1 and no CPU knobs
// of its own joining or leaving a parent without a planned member (the parent then lacks
// the trusted.vcrun.cpu.active xattr) needs only a shared lock and no scan.
namespace plan_store {

// Adds or replaces `member` (admission control first, under the lock), then applies the
// plan of its parent to the cgroup files. Returns the plan results of that parent.
std::vector<PlanResult> upsert(const PlanMember& member);
// Re-applies the parent's plan without `path` (call after removing it). Missing is fine.
void remove(const std::string& path);
// The current members of a parent (shared lock).
std::vector<PlanMember> members_of(const std::string& parent);
std::optional<PlanMember> find(const std::string& path);

}  // namespace plan_store

}  // namespace vcrun::cgroup
