// Launching a container's init.
#include "runtime/launch.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <tuple>

#include <spdlog/spdlog.h>

#include "cgroup/container_cgroup.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/hierarchy.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/process/console.hpp"
#include "runtime/process/container_init.hpp"
#include "runtime/process/fd_passing.hpp"
#include "base/fs_util.hpp"
#include "runtime/process/hooks.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/process/namespace_path.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "runtime/security/seccomp_listener.hpp"
#include "runtime/security/seccomp_select.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/process/userns_join.hpp"
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

// The init opens the exec fifo as the container's root: with a user namespace that is a
// mapped host id, which the fifo (0600, host root) would refuse.
void give_fifo_to_container_root(const std::string& path, const std::vector<IdMapping>& uid_maps,
                                 const std::vector<IdMapping>& gid_maps) {
  auto host_id = [](const std::vector<IdMapping>& maps, uint32_t fallback) {
    for (const auto& m : maps)
      if (m.container_id == 0) return m.host_id;
    return fallback;
  };
  uid_t uid = host_id(uid_maps, ::geteuid());
  gid_t gid = host_id(gid_maps, ::getegid());
  if (::chown(path.c_str(), uid, gid) != 0) throw_errno("chown " + path);
}

// Namespaces the spec asks to join: opened now, in the runtime's mount namespace.
struct Joins {
  uint64_t new_flags = 0;
  std::vector<UniqueFd> fds;
  std::vector<int> types;
  UniqueFd pid_ns;
  UniqueFd user_ns;  // joined before the others are created: see userns_join.hpp
};

Joins open_namespaces(const ContainerSpec& spec) {
  Joins j;
  for (size_t i = 0; i < spec.linux.namespaces.size(); ++i) {
    const auto& ns = spec.linux.namespaces[i];
    uint64_t flag = namespace_flag(ns.type);
    if (ns.path.empty()) {
      j.new_flags |= flag;
      continue;
    }
    UniqueFd fd = open_namespace_path(ns, i);
    if (ns.type == NamespaceType::pid) {
      j.pid_ns = std::move(fd);
    } else if (ns.type == NamespaceType::user) {
      j.user_ns = std::move(fd);
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
    cgroup::destroy(st.cgroup_path, st.cgroup_created);
  } else if (st.pid > 0 && state::init_alive(st)) {
    ::kill(st.pid, SIGKILL);
  }
  cgroup::remove_made_dirs(st.cgroup_dirs_made);
  // The init is our child only when this process launched it: reap it if so.
  if (st.pid > 0) ::waitpid(st.pid, nullptr, WNOHANG);
  store.remove(st.id);
}

Launched launch(const state::Store& store, const std::string& id, const std::string& config_json,
                const ContainerSpec& spec_in, const CreateOptions& opts, bool use_fifo,
                const std::function<void()>& before_clone) {
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
    plan.no_pivot = opts.no_pivot;
    if (opts.host_overlay) {
      plan.host_overlay = true;
      plan.scratch_dir = dir + "/scratch";
      spec.root.path = dir + "/rootfs";
      make_dirs(plan.scratch_dir, 0700);
      make_dirs(spec.root.path, 0755);
    }
    st.rootfs = spec.root.path;
    // The cgroup's path is recorded before the cgroup exists: from here on `delete
    // --force` finds everything to remove, whenever this process is killed. A
    // linux.cgroupsPath cgroup may be someone else's: recorded once create() has checked it.
    const bool own_parent = spec.linux.cgroups_path.empty();
    if (own_parent) st.cgroup_path = cgroup::container_dir(spec.linux.cgroups_path, id);
    write_file_atomic(dir + "/config.json", config_json, 0600);
    store.save(st);
    spdlog::debug("{}: state dir written", id);
    auto cg = cgroup::ContainerCgroup::create(id, spec,
                                              [&](const std::vector<std::string>& dirs) {
                                                st.cgroup_dirs_made = dirs;
                                                store.save(st);
                                              });
    if (!own_parent) {
      st.cgroup_path = cg.path();
      st.cgroup_created = cg.created();
      store.save(st);
    }
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
    // The container's root is a mapped host uid: what it cannot reach, the runtime opens.
    const bool userns = spec.has_namespace(NamespaceType::user);
    std::vector<UniqueFd> bind_trees;
    if (userns) {
      bind_trees = rootfs::clone_bind_sources(spec);
      for (const auto& fd : bind_trees) plan.bind_trees.push_back(fd.get());
      // A joined namespace's maps are read once the init is in it.
      if (fifo && !joins.user_ns)
        give_fifo_to_container_root(dir + "/exec.fifo", spec.linux.uid_mappings,
                                    spec.linux.gid_mappings);
    }
    // With a joined user namespace, the process that joins it joins the pid namespace.
    if (joins.pid_ns && !joins.user_ns && ::setns(joins.pid_ns.get(), CLONE_NEWPID) != 0)
      throw_errno(namespace_field(spec, NamespaceType::pid) + ": setns pid");
    // Named, not a structured binding: the init lambda captures them (clang 14 refuses to
    // capture bindings).
    UniqueFd parent_end, child_end;
    std::tie(parent_end, child_end) = sync::make_pair();
    auto run_init = [&] {
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
    };
    if (before_clone) before_clone();
    spdlog::debug("{}: cloning the init", id);
    if (joins.user_ns) {
      child = userns::clone_init(joins.user_ns.get(), joins.pid_ns.get(), joins.new_flags,
                                 cg.dir_fd(), run_init);
    } else {
      child = clone_into(joins.new_flags, cg.dir_fd());
      if (child == 0) run_init();
    }
    child_end.reset();
    st.pid = child;
    if (joins.user_ns) {
      if (fifo)
        give_fifo_to_container_root(dir + "/exec.fifo", userns::uid_map_of(child),
                                    userns::gid_map_of(child));
    } else if (userns && !spec.linux.uid_mappings.empty()) {
      write_id_maps(child, spec);
    }
    if (spec.process.oom_score_adj)
      write_existing("/proc/" + std::to_string(child) + "/oom_score_adj",
                     std::to_string(*spec.process.oom_score_adj));
    if (!sync::send(parent_end.get(), std::string(sync::kGo) + " " + std::to_string(child)))
      throw Error("container init died");
    if (spec.process.terminal) {
      out.console = fdpass::receive_fd(parent_end.get(), "terminal");
      if (!opts.console_socket.empty()) {
        console::send_to_console_socket(opts.console_socket, out.console.get());
        out.console.reset();
      } else if (use_fifo) {
        throw SpecError("process.terminal", "create needs --console-socket for a terminal");
      }
    }
    if (seccomp && seccomp->notifies() && spec.linux.seccomp) {
      // The init loaded its notify filter before ready: the agent gets the listener now,
      // with the state of a container still being created (runc's order).
      UniqueFd listener = fdpass::receive_fd(parent_end.get(), "seccomp listener fd");
      security::send_to_seccomp_agent(*spec.linux.seccomp, listener.get(), child,
                                      state::oci_state_json(st, state::Status::creating));
      spdlog::debug("{}: seccomp listener handed to {}", id, spec.linux.seccomp->listener_path);
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
      cgroup::start_cpu_monitor(id, st.cgroup_path);
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
