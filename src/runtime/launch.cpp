// Launching a container's init.
#include "runtime/launch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "cgroup/cgroup.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/hierarchy.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/clone.hpp"
#include "runtime/console.hpp"
#include "runtime/container_init.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/hooks.hpp"
#include "runtime/lsm.hpp"
#include "runtime/preserved_fds.hpp"
#include "runtime/seccomp_select.hpp"
#include "runtime/sync.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

std::string now_rfc3339() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) %
            std::chrono::seconds(1);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", static_cast<long>(ns.count()));
  return buf;
}

namespace {

std::string id_map_text(const std::vector<IdMapping>& maps) {
  std::string text;
  for (const auto& m : maps)
    text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
            std::to_string(m.size) + "\n";
  return text;
}

void write_id_maps(pid_t pid, const ContainerSpec& spec) {
  std::string proc = "/proc/" + std::to_string(pid);
  try {
    write_existing(proc + "/uid_map", id_map_text(spec.linux.uid_mappings));
  } catch (const Error& e) {
    throw e.with_context("linux.uidMappings");
  }
  try {
    write_existing(proc + "/gid_map", id_map_text(spec.linux.gid_mappings));
  } catch (const Error& e) {
    throw e.with_context("linux.gidMappings");
  }
}

// Namespaces the spec asks to join: opened now, in the runtime's mount namespace.
struct Joins {
  uint64_t new_flags = 0;
  std::vector<UniqueFd> fds;
  std::vector<int> types;
  UniqueFd pid_ns;
};

Joins open_namespaces(const ContainerSpec& spec) {
  Joins j;
  // The user namespace is joined first so the others are joined with its privileges.
  auto ordered = spec.linux.namespaces;
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const Namespace& n) { return n.type == NamespaceType::user; });
  for (const auto& ns : ordered) {
    uint64_t flag = namespace_flag(ns.type);
    if (ns.path.empty()) {
      j.new_flags |= flag;
      continue;
    }
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno(std::string("linux.namespaces: open ") + namespace_name(ns.type) +
                         " namespace " + ns.path);
    if (ns.type == NamespaceType::pid) {
      j.pid_ns = std::move(fd);
    } else {
      j.types.push_back(static_cast<int>(flag));
      j.fds.push_back(std::move(fd));
    }
  }
  return j;
}

// Waits for the init's "ready"; turns its error report (or death) into an Error.
void await_ready(int sync_fd) {
  auto msg = sync::receive(sync_fd);
  if (msg && *msg == sync::kReady) return;
  sync::throw_if_error(msg);
  throw Error("container init exited during setup");
}

}  // namespace

void destroy_container(const state::Store& store, const state::ContainerState& st) {
  if (!st.cgroup_path.empty()) {
    cgroup::destroy(store.root(), st.cgroup_path);
  } else if (st.pid > 0 && state::init_alive(st)) {
    ::kill(st.pid, SIGKILL);
  }
  // The init is our child only when this process launched it: reap it if so.
  if (st.pid > 0) ::waitpid(st.pid, nullptr, WNOHANG);
  store.remove(st.id);
}

Launched launch(const state::Store& store, const std::string& id, const std::string& config_json,
                const ContainerSpec& spec_in, const CreateOptions& opts, bool use_fifo) {
  check_preserved_fds(opts.preserve_fds);
  store.create_dir(id);
  const std::string dir = store.dir(id);
  Launched out;
  auto& st = out.state;
  st.id = id;
  st.bundle = opts.bundle;
  st.oci_version = spec_in.oci_version;
  st.created = now_rfc3339();
  st.quick = opts.quick;
  st.new_keyring = opts.new_keyring;
  st.annotations = spec_in.annotations;
  pid_t child = -1;
  try {
    ContainerSpec spec = spec_in;
    rootfs::Plan plan;
    if (opts.host_overlay) {
      plan.host_overlay = true;
      plan.scratch_dir = dir + "/scratch";
      spec.root.path = dir + "/rootfs";
      make_dirs(plan.scratch_dir, 0700);
      make_dirs(spec.root.path, 0755);
    }
    st.rootfs = spec.root.path;
    // The cgroup's path is recorded before the cgroup exists: from here on `delete
    // --force` finds everything to remove, whenever this process is killed.
    st.cgroup_path = cgroup::container_dir(spec.linux.cgroups_path, id);
    write_file_atomic(dir + "/config.json", config_json, 0600);
    store.save(st);
    spdlog::debug("{}: state dir written", id);
    auto cg = cgroup::ContainerCgroup::create(store.root(), id, spec);
    spdlog::debug("{}: cgroup {} ready", id, cg.path());

    security::check_capabilities(spec.process);
    security::warn_unapplied_labels(spec.process, spec.linux.mount_label);
    auto seccomp = security::compile_for(spec);

    UniqueFd fifo;
    if (use_fifo) {
      std::string fifo_path = dir + "/exec.fifo";
      if (::mkfifo(fifo_path.c_str(), 0600) != 0) throw_errno("mkfifo " + fifo_path);
      fifo.reset(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
      if (!fifo) throw_errno("open " + fifo_path);
    }
    Joins joins = open_namespaces(spec);
    if (joins.pid_ns && ::setns(joins.pid_ns.get(), CLONE_NEWPID) != 0)
      throw_errno("linux.namespaces: setns pid");
    auto [parent_end, child_end] = sync::make_pair();
    spdlog::debug("{}: cloning the init", id);
    child = clone_into(joins.new_flags, cg.dir_fd());
    if (child == 0) {
      parent_end.reset();
      InitContext ctx;
      ctx.spec = &spec;
      ctx.rootfs_plan = plan;
      ctx.seccomp = seccomp ? &*seccomp : nullptr;
      ctx.sync_fd = child_end.get();
      ctx.exec_fifo_fd = fifo.get();
      for (auto& fd : joins.fds) ctx.join_fds.push_back(fd.get());
      ctx.join_types = joins.types;
      ctx.state = &st;
      ctx.preserve_fds = opts.preserve_fds;
      container_init(ctx);
    }
    child_end.reset();
    st.pid = child;
    if (spec.has_namespace(NamespaceType::user) && !spec.linux.uid_mappings.empty())
      write_id_maps(child, spec);
    if (spec.process.oom_score_adj)
      write_existing("/proc/" + std::to_string(child) + "/oom_score_adj",
                     std::to_string(*spec.process.oom_score_adj));
    if (!sync::send(parent_end.get(), std::string(sync::kGo) + " " + std::to_string(child)))
      throw Error("container init died");
    if (spec.process.terminal) {
      out.console = console::receive_fd(parent_end.get());
      if (!opts.console_socket.empty()) {
        console::send_to_console_socket(opts.console_socket, out.console.get());
        out.console.reset();
      } else if (use_fifo) {
        throw SpecError("process.terminal", "create needs --console-socket for a terminal");
      }
    }
    await_ready(parent_end.get());
    spdlog::debug("{}: init {} ready", id, child);

    auto start_time = state::process_start_time(child);
    if (!start_time) throw Error("container init exited during setup");
    st.pid_start_time = *start_time;
    store.save(st);
    run_hooks(spec.hooks.prestart, "hooks.prestart", st);
    run_hooks(spec.hooks.create_runtime, "hooks.createRuntime", st);
    if (!opts.pid_file.empty())
      write_file_atomic(opts.pid_file, std::to_string(child), 0644);
    cg.release();
    // A work-conserving reservation needs the planner's feedback loop (cpu_monitor.hpp).
    // Only this container's spec is checked: a sibling's reservation started the loop
    // when that sibling was created, and rescanning every sibling here would put an
    // O(containers) walk on every start.
    if (spec.vcrun.cpu_reservation.value_or(0) > 0 && spec.vcrun.cpu_share.value_or(1) > 0)
      cgroup::start_cpu_monitor(store.root(), id, st.cgroup_path);
    out.sync = std::move(parent_end);
    return out;
  } catch (...) {
    if (child > 0) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    try {
      destroy_container(store, st);
    } catch (const std::exception&) {
      // The original error matters more; `delete --force` can still clean up.
    }
    throw;
  }
}

}  // namespace vcrun
