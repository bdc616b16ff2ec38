// The paper's Table 3 on cgroup v2: eight CPU-bound containers under one parent confined to
// N CPUs; equal shares, one capped reservation of 1/4, one work-conserving reservation of
// 1/4 (weights alone and with the feedback monitor), and plain OCI cpu.shares expressing
// the same 1/4 intent through crun's conversion. Prints each container's share of the
// parent's CPU time from cpu.stat usage_usec.
//
// Containers here are vcrun container cgroups made by cgroup::ContainerCgroup::create (the
// same code `vcrun create` runs), each holding one forked busy loop: CPU scheduling depends
// on the cgroups, not on the namespaces the full runtime would add.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/cpu_list.hpp"
#include "base/fs_util.hpp"
#include "cgroup/container_cgroup.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/limits.hpp"
#include "vcrun/error.hpp"

using namespace vcrun;

namespace {

struct Case {
  std::string name;
  double target;  // expected share of the reserved/special container, of all CPU
  std::function<void(ContainerSpec&)> special;  // applied to container 0
  bool monitor = false;
};

uint64_t usage(const std::string& dir) {
  std::istringstream in(read_file(dir + "/cpu.stat"));
  std::string k;
  uint64_t v;
  while (in >> k >> v)
    if (k == "usage_usec") return v;
  return 0;
}

std::string parent_name() { return "vcrun-bench-" + std::to_string(::getpid()); }

void setup_parent(const std::string& parent, const std::string& cpus) {
  const std::string mp = cgroup::cgroup2_mount().mount_point;
  cgroup::prepare_path(parent + "/x", {{"cpu", "bench"}, {"cpuset", "bench"}}, {});
  write_existing(parent + "/cpuset.cpus", cpus);
  (void)mp;
}

struct Result {
  std::vector<double> share;  // % of all CPU available to the parent
  double wall_s = 0;
};

Result run_case(const Case& c, const std::string& parent, int n, int seconds) {
  std::vector<cgroup::ContainerCgroup> cgs;
  std::vector<pid_t> pids;
  const std::string rel = parent.substr(cgroup::cgroup2_mount().mount_point.size());
  for (int i = 0; i < n; ++i) {
    ContainerSpec spec;
    spec.linux.cgroups_path = rel + "/c" + std::to_string(i);
    if (i == 0 && c.special) c.special(spec);
    if (i > 0 && c.name.rfind("oci", 0) == 0) {
      spec.linux.resources = Resources{};
      spec.linux.resources->cpu = CpuResources{};
      spec.linux.resources->cpu->shares = 1024;
    }
    cgs.push_back(cgroup::ContainerCgroup::create("c" + std::to_string(i), spec));
  }
  if (c.monitor) cgroup::start_cpu_monitor("c0", cgs[0].path());
  for (auto& cg : cgs) {
    pid_t p = ::fork();
    if (p == 0) {
      write_existing(cg.path() + "/cgroup.procs", "0");
      for (;;) asm volatile("" ::: "memory");
    }
    pids.push_back(p);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // settle: all loops runnable
  std::vector<uint64_t> u0;
  for (auto& cg : cgs) u0.push_back(usage(cg.path()));
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  std::vector<uint64_t> u1;
  for (auto& cg : cgs) u1.push_back(usage(cg.path()));
  Result r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double total = 0;
  for (size_t i = 0; i < cgs.size(); ++i) total += static_cast<double>(u1[i] - u0[i]);
  for (size_t i = 0; i < cgs.size(); ++i) r.share.push_back(100.0 * static_cast<double>(u1[i] - u0[i]) / total);
  for (pid_t p : pids) ::kill(p, SIGKILL);
  for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  cgs.clear();  // not released: destroyed, siblings re-planned
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a monitor notices and exits
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 20, runs = 1;
  std::vector<std::string> cpu_lists = {"0", "0-1"};
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::stoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
    else if (a == "--cpus" && i + 1 < argc) cpu_lists = {argv[++i]};
    else if (a == "--case" && i + 1 < argc) only = argv[++i];
    else {
      std::cerr << "usage: cpu-reservation [--seconds 20] [--runs 1] [--cpus 0|0-1] [--case NAME]\n";
      return 2;
    }
  }
  for (const char* c : {"cpu", "cpuset"})
    if (!cgroup::controllers_of(cgroup::cgroup2_mount().mount_point).count(c)) {
      std::cerr << "SKIP: " << c << " controller not available in " << cgroup::cgroup2_mount().mount_point << "\n";
      return 77;
    }
  const double ncont = 8;
  // OCI shares that express "1/4 of the CPU" exactly under cgroup v1's linear shares.
  const uint64_t oci_shares = static_cast<uint64_t>(std::llround(1024 * 7 / 3.0));
  std::vector<Case> cases = {
      {"equal shares", 1 / ncont, nullptr},
      {"capped reservation r=1/4 (s=0)", 0.25,
       [](ContainerSpec& s) {
         s.vcrun.cpu_reservation = 0.25;
         s.vcrun.cpu_share = 0;
       }},
      {"work-conserving r=1/4 s=1, weights only", 0.25 + 0.75 / ncont,
       [](ContainerSpec& s) { s.vcrun.cpu_reservation = 0.25; }},
      {"work-conserving r=1/4 s=1, with monitor", 0.25 + 0.75 / ncont,
       [](ContainerSpec& s) { s.vcrun.cpu_reservation = 0.25; }, true},
      {"oci cpu.shares " + std::to_string(oci_shares) + " vs 7x1024 (crun curve)", 0.25,
       [oci_shares](ContainerSpec& s) {
         s.linux.resources = Resources{};
         s.linux.resources->cpu = CpuResources{};
         s.linux.resources->cpu->shares = oci_shares;
       }},
  };
  const std::string mp = cgroup::cgroup2_mount().mount_point;
  std::printf("kernel: %s", read_file("/proc/sys/kernel/osrelease").c_str());
  std::printf("%d containers, %d s per run, %d run(s); share = %% of the parent's CPU time\n", 8, seconds, runs);
  std::printf("(weight of the oci case: %lu vs %lu)\n", static_cast<unsigned long>(cgroup::shares_to_weight(oci_shares)),
              static_cast<unsigned long>(cgroup::shares_to_weight(1024)));
  int worst = 0;
  for (const auto& cpus : cpu_lists) {
    std::string parent = mp + "/" + parent_name();
    setup_parent(parent, cpus);
    unsigned ncpu = cpu_list::count(cpu_list::parse_lenient(cpus));
    std::printf("\n== parent cpuset %s (%u CPU%s) ==\n", cpus.c_str(), ncpu, ncpu > 1 ? "s" : "");
    std::printf("%-58s %8s %8s %9s %9s %8s\n", "case", "target", "c0", "others", "(min-max)", "err pp");
    for (const auto& c : cases) {
      if (!only.empty() && c.name.find(only) == std::string::npos) continue;
      for (int run = 0; run < runs; ++run) {
        Result r = run_case(c, parent, 8, seconds);
        double others = 0, lo = 100, hi = 0;
        for (size_t i = 1; i < r.share.size(); ++i) {
          others += r.share[i];
          lo = std::min(lo, r.share[i]);
          hi = std::max(hi, r.share[i]);
        }
        others /= static_cast<double>(r.share.size() - 1);
        double err = r.share[0] - 100 * c.target;
        bool ok = std::fabs(err) <= 0.5;
        if (!ok && c.name.rfind("oci", 0) != 0 && c.name.find("weights only") == std::string::npos) worst = 1;
        std::printf("%-58s %7.2f%% %7.2f%% %8.2f%% %4.1f-%4.1f %+7.2f %s\n", c.name.c_str(), 100 * c.target,
                    r.share[0], others, lo, hi, err, ok ? "ok" : "MISS");
        std::fflush(stdout);
      }
    }
    ::rmdir(parent.c_str());
  }
  return worst;
}
