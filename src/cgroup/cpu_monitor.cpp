// The CPU reservation monitor: which process runs it, and the feedback loop itself.
// One detached monitor per parent cgroup, for as long as a work-conserving reservation
// needs it; why a process: docs/architecture.md ("Why a CPU monitor process").
#include "cgroup/cpu_monitor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "base/fd.hpp"
#include "base/fs_util.hpp"
#include "cgroup/cpu_planner.hpp"
#include "cgroup/flat_keyed.hpp"
#include "cgroup/hierarchy.hpp"
#include "vcrun/error.hpp"

namespace vcrun::cgroup {

namespace {

constexpr auto kTick = std::chrono::milliseconds(200);

bool has_work_conserving(const std::vector<PlanResult>& plan) {
  return std::any_of(plan.begin(), plan.end(), [](const auto& r) { return r.work_conserving_reservation; });
}

// usage_usec of cpu.stat, or nullopt when the cgroup is gone.
std::optional<uint64_t> usage_usec(const std::string& dir) {
  auto text = try_read_file(dir + "/cpu.stat");
  return text ? flat_number(*text, "usage_usec") : std::nullopt;
}

// "some ... total=N" of cpu.pressure: time some task of the cgroup waited for a CPU.
std::optional<uint64_t> pressure_some_total(const std::string& dir) {
  try {
    std::istringstream in(read_file(dir + "/cpu.pressure"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("some", 0) != 0) continue;
      auto p = line.find("total=");
      if (p != std::string::npos) return std::stoull(line.substr(p + 6));
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

struct Loop {
  uint64_t usage = 0;
  uint64_t pressure = 0;
  bool has_pressure = false;
  double integral = 0;
  uint64_t planned = 0;
};

}  // namespace

double controller_step(double err, double& integral, const MonitorGains& g) {
  integral += err;
  // Anti-windup: the integral never asks for more than the offset bound can give.
  double bound = g.max_offset / g.ki;
  integral = std::clamp(integral, -bound, bound);
  return std::clamp(g.kp * err + g.ki * integral, -g.max_offset, g.max_offset);
}

bool run_cpu_monitor(const std::string& parent, uint64_t max_ms) {
  UniqueFd lock(::open((parent + "/cgroup.controllers").c_str(), O_RDONLY | O_CLOEXEC));
  if (!lock) return false;
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return false;

  auto start = std::chrono::steady_clock::now();
  std::map<std::string, Loop> loops;
  std::optional<uint64_t> parent_usage = usage_usec(parent);
  auto last = std::chrono::steady_clock::now();
  while (exists(parent)) {
    std::this_thread::sleep_for(kTick);
    auto now = std::chrono::steady_clock::now();
    double dt = std::chrono::duration<double, std::micro>(now - last).count();
    last = now;
    if (max_ms && now - start > std::chrono::milliseconds(max_ms)) break;

    std::vector<PlanResult> plan;
    try {
      plan = compute_plan(plan_store::members_of(parent), cpus_available(parent));
    } catch (const std::exception& e) {
      spdlog::warn("cpu monitor {}: {}", parent, e.what());
      continue;
    }
    if (!has_work_conserving(plan)) break;
    double capacity = dt * cpus_available(parent);
    auto pu = usage_usec(parent);
    if (!pu) break;
    double parent_du = parent_usage ? static_cast<double>(*pu - std::min(*pu, *parent_usage)) : 0;
    parent_usage = pu;
    // Saturated: the siblings together use (nearly) all CPUs, so weights decide shares.
    bool saturated = parent_du >= 0.95 * capacity;

    std::map<std::string, Loop> next;
    for (const auto& r : plan) {
      if (!r.work_conserving_reservation || !r.weight) continue;
      Loop l;
      auto it = loops.find(r.path);
      bool fresh = it == loops.end() || it->second.planned != *r.weight;
      if (!fresh) l = it->second;
      l.planned = *r.weight;
      auto u = usage_usec(r.path);
      if (!u) continue;
      auto p = pressure_some_total(r.path);
      if (!fresh) {
        double du = static_cast<double>(*u - std::min(*u, l.usage));
        double share = du / capacity;
        // Runnable: it waited for a CPU (PSI), or, without PSI, it used about its target.
        bool wanted = (p && l.has_pressure) ? *p > l.pressure : share >= 0.9 * r.target;
        if (saturated && wanted) {
          double offset = controller_step(r.target - share, l.integral);
          double w = std::clamp(std::exp(std::log(static_cast<double>(l.planned)) + offset), 1.0, 10000.0);
          try {
            write_existing(r.path + "/cpu.weight", std::to_string(std::llround(w)));
          } catch (const Error&) {
          }
        }
        // Not contended: hold the integral (anti-windup) and the current weight.
      }
      l.usage = *u;
      l.has_pressure = p.has_value();
      l.pressure = p.value_or(0);
      next[r.path] = l;
    }
    loops = std::move(next);
  }
  return true;
}

void start_cpu_monitor(const std::string& id, const std::string& cgroup_path) {
  std::string parent = parent_of(cgroup_path);
  try {
    auto plan = compute_plan(plan_store::members_of(parent), cpus_available(parent));
    if (!has_work_conserving(plan)) return;
  } catch (const std::exception& e) {
    spdlog::warn("{}: CPU monitor not started: {}", id, e.what());
    return;
  }
  pid_t child = ::fork();
  if (child < 0) {
    spdlog::warn("{}: CPU monitor not started: fork: {}", id, std::strerror(errno));
    return;
  }
  if (child == 0) {
    // Middle process: a new session, then fork again so the monitor is nobody's child
    // that could be waited for (or block) and has no controlling terminal.
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(0);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    try {
      run_cpu_monitor(parent);
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  spdlog::debug("{}: CPU monitor for {} started", id, parent);
}

}  // namespace vcrun::cgroup
