// CPU reservation + share -> sibling weights and caps; admission; the locked plan store.
#include "cgroup/cpu_planner.hpp"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cmath>
#include <locale>
#include <sstream>

#include <spdlog/spdlog.h>

#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "cgroup/hierarchy.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

constexpr double kEps = 1e-9;

bool planner_active(const std::vector<PlanMember>& members) {
  for (const auto& m : members)
    if (!m.fixed_weight && (m.reservation > kEps || std::fabs(m.share - 1) > kEps)) return true;
  return false;
}

std::string fmt_pct(double f) {
  std::ostringstream o;
  o.precision(4);
  o << f;
  return o.str();
}

}  // namespace

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<PlanResult> compute_plan(const std::vector<PlanMember>& members, unsigned ncpus,
                                     uint64_t period) {
  std::vector<PlanResult> out;
  if (ncpus == 0) ncpus = 1;
  double R = 0, S = 0;
  for (const auto& m : members) {
    if (m.fixed_weight) continue;
    R += m.reservation;
    S += m.share;
  }
  R = std::min(R, 1.0);
  bool active = planner_active(members);

  // Fractions under full contention: r_i + (1 - R) * s_i / S.
  std::vector<double> frac(members.size(), 0);
  double max_uncapped = 0, max_capped = 0, max_wc = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    if (m.fixed_weight) continue;
    frac[i] = m.reservation + (S > kEps ? (1 - R) * m.share / S : 0);
    bool capped = m.share <= kEps && m.reservation > kEps;
    (capped ? max_capped : max_uncapped) = std::max(capped ? max_capped : max_uncapped, frac[i]);
    if (!capped && m.reservation > kEps && m.share > kEps) max_wc = std::max(max_wc, frac[i]);
  }
  // K: the largest weight uses the precision of cpu.weight, except that capped members
  // must stay far ahead of their proportional weight (kCappedBoost) while pinned at 10000.
  double K = 100;  // only members with neither share nor reservation: all weights 1
  if (max_uncapped > kEps || max_capped > kEps) {
    K = 1e12;
    if (max_uncapped > kEps) K = std::min(K, 10000.0 / max_uncapped);
    if (max_capped > kEps) K = std::min(K, 10000.0 / (kCappedBoost * max_capped));
    if (max_wc > kEps) K = std::min(K, 10000.0 / (kMonitorHeadroom * max_wc));
  }

  for (size_t i = 0; i < members.size(); ++i) {
    const auto& m = members[i];
    PlanResult r;
    r.path = m.path;
    r.target = frac[i];
    if (m.fixed_weight) {
      out.push_back(r);
      continue;
    }
    bool capped = m.share <= kEps && m.reservation > kEps;
    if (!active) {
      r.weight = 100;  // undo weights of an earlier plan: defaults are the plan now
    } else if (capped) {
      r.weight = 10000;
    } else {
      r.weight = static_cast<uint64_t>(std::clamp(std::llround(K * frac[i]), 1LL, 10000LL));
    }
    if (!m.own_cpu_max) {
      if (capped) {
        auto quota = static_cast<uint64_t>(std::llround(m.reservation * period * ncpus));
        quota = std::max<uint64_t>(quota, 1000);
        r.cpu_max = std::to_string(quota) + " " + std::to_string(period);
      } else {
        r.cpu_max = "max " + std::to_string(period);
      }
    }
    r.work_conserving_reservation = active && m.reservation > kEps && m.share > kEps;
    out.push_back(r);
  }
  return out;
}

void check_admission(const std::vector<PlanMember>& members, const PlanMember& candidate,
                     const std::string& parent) {
  double others = 0;
  size_t n = 0;
  for (const auto& m : members) {
    if (m.path == candidate.path || m.fixed_weight) continue;
    if (m.reservation > kEps) {
      others += m.reservation;
      ++n;
    }
  }
  if (candidate.reservation > kEps && others + candidate.reservation > 1 + kEps)
    throw SpecError("vcrun.cpu.reservation",
                    "admission refused: reserving " + fmt_pct(candidate.reservation) + " would bring the "
                    "reservations in " + parent + " to " + fmt_pct(others + candidate.reservation) +
                    " (already reserved: " + fmt_pct(others) + " by " + std::to_string(n) +
                    " container" + (n == 1 ? "" : "s") + "); the sum must not exceed 1");
}

namespace plan_store {

namespace {

// Each member's (r, s) lives on its own cgroup directory as an xattr and the lock is a flock
// of the parent directory, not files in the runtime's --root: containers of different --root
// values share the parent and its CPUs, so there must be one plan per parent, and a directory
// removed by any means (crash cleanup, rmdir by hand) leaves no stale entry behind.
constexpr const char* kXattr = "trusted.vcrun.cpu";

class DirLock {
 public:
  explicit DirLock(const std::string& dir, int op) {
    fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_) throw_errno("open cgroup " + dir);
    while (::flock(fd_.get(), op) != 0)
      if (errno != EINTR) throw_errno("flock cgroup " + dir);
  }

 private:
  UniqueFd fd_;
};

std::optional<PlanMember> read_member(const std::string& path) {
  char buf[256];
  ssize_t n = ::getxattr(path.c_str(), kXattr, buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  buf[n] = 0;
  PlanMember m;
  m.path = path;
  int fixed = 0, own = 0;
  std::istringstream in(buf);
  in.imbue(std::locale::classic());
  if (!(in >> m.reservation >> m.share >> fixed >> own)) return std::nullopt;
  m.fixed_weight = fixed != 0;
  m.own_cpu_max = own != 0;
  return m;
}

void write_member(const PlanMember& m) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(17);
  out << m.reservation << ' ' << m.share << ' ' << (m.fixed_weight ? 1 : 0) << ' ' << (m.own_cpu_max ? 1 : 0);
  std::string v = out.str();
  if (::setxattr(m.path.c_str(), kXattr, v.data(), v.size(), 0) != 0)
    throw_errno("set " + std::string(kXattr) + " on " + m.path);
}

std::vector<PlanMember> siblings(const std::string& parent) {
  std::vector<PlanMember> out;
  DIR* d = ::opendir(parent.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || e->d_type != DT_DIR) continue;
    if (auto m = read_member(parent + "/" + n)) out.push_back(*m);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

// Skips files of a disabled controller (nothing to plan) and values already in place:
// needless cpu.max writes flip the kernel's bandwidth static key.
void write_if_present(const std::string& file, const std::string& value) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return;
  std::string cur = read_file(file);
  while (!cur.empty() && (cur.back() == '\n' || cur.back() == ' ')) cur.pop_back();
  if (cur == value) return;
  write_existing(file, value);
}

std::vector<PlanResult> apply_parent(const std::string& parent, const std::vector<PlanMember>& members) {
  auto results = compute_plan(members, cpus_available(parent));
  for (const auto& r : results) {
    try {
      // Lower caps first, then weights: never a moment with a raised weight and no cap.
      if (r.cpu_max) write_if_present(r.path + "/cpu.max", *r.cpu_max);
      if (r.weight) write_if_present(r.path + "/cpu.weight", std::to_string(*r.weight));
    } catch (const Error& e) {
      if (e.code() != ENOENT && e.code() != ENODEV) throw;  // a sibling removed meanwhile
    }
  }
  return results;
}

// The fast path. A container with neither reservation nor share nor its own CPU knobs is a
// "default member": while no sibling is planned either, equal default weights already are
// the plan, so it needs no scan and no exclusive lock. The parent carries kActiveXattr
// whenever a planned member may exist: set (under the exclusive lock) before the first
// planned member's xattr is written, cleared only after a full scan found no planned
// member. A default member writes its own xattr first and then checks the marker under a
// shared lock, so a planner running concurrently either saw that xattr in its scan or
// finished before the check and left the marker for the default member to see.
constexpr const char* kActiveXattr = "trusted.vcrun.cpu.active";

bool is_default_member(const PlanMember& m) {
  return !m.fixed_weight && !m.own_cpu_max && m.reservation <= kEps && std::fabs(m.share - 1) <= kEps;
}

bool parent_marked_active(const std::string& parent) {
  return ::getxattr(parent.c_str(), kActiveXattr, nullptr, 0) >= 0;
}

void set_active_mark(const std::string& parent, bool active) {
  if (active) {
    if (::setxattr(parent.c_str(), kActiveXattr, "1", 1, 0) != 0)
      throw_errno("set " + std::string(kActiveXattr) + " on " + parent);
  } else if (::removexattr(parent.c_str(), kActiveXattr) != 0 && errno != ENODATA) {
    throw_errno("remove " + std::string(kActiveXattr) + " from " + parent);
  }
}

// Full recomputation under the exclusive lock; keeps the parent's marker in step.
std::vector<PlanResult> replan_locked(const std::string& parent) {
  auto members = siblings(parent);
  bool active = planner_active(members);
  if (active) set_active_mark(parent, true);
  auto results = apply_parent(parent, members);
  if (!active) set_active_mark(parent, false);
  return results;
}

}  // namespace

std::vector<PlanResult> upsert(const PlanMember& member) {
  std::string parent = parent_of(member.path);
  if (is_default_member(member)) {
    write_member(member);
    DirLock shared(parent, LOCK_SH);
    if (!parent_marked_active(parent)) return {};
  }
  DirLock lock(parent, LOCK_EX);
  check_admission(siblings(parent), member, parent);
  if (!is_default_member(member)) set_active_mark(parent, true);
  write_member(member);
  return replan_locked(parent);
}

void remove(const std::string& path) {
  std::string parent = parent_of(path);
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0) return;
  // A member that leaves an unplanned parent changes nothing.
  if (::stat(path.c_str(), &st) == 0) ::removexattr(path.c_str(), kXattr);
  {
    DirLock shared(parent, LOCK_SH);
    if (!parent_marked_active(parent)) return;
  }
  DirLock lock(parent, LOCK_EX);
  replan_locked(parent);
}

std::vector<PlanMember> members_of(const std::string& parent) {
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0) return {};
  DirLock lock(parent, LOCK_SH);
  return siblings(parent);
}

std::optional<PlanMember> find(const std::string& path) {
  return read_member(path);
}

}  // namespace plan_store

}  // namespace vcrun::cgroup
