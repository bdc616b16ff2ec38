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

#include "base/fd_passing.hpp"
#include "base/fs_util.hpp"
#include "cgroup/container_cgroup.hpp"
#include "cgroup/cpu_monitor.hpp"
#include "cgroup/hierarchy.hpp"
#include "cgroup/hooks_cgroup.hpp"
#include "cgroup/bind_allow.hpp"
#include "net/policy/bridge.hpp"
#include "net/values/ipv4.hpp"
#include "net/policy/shaping.hpp"
#include "runtime/process/clone.hpp"
#include "runtime/process/console.hpp"
#include "runtime/process/container_init.hpp"
#include "runtime/process/hooks.hpp"
#include "runtime/process/namespace_path.hpp"
#include "runtime/process/preserved_fds.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/process/userns_join.hpp"
#include "runtime/rootfs/cow_root.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/lsm.hpp"
#include "runtime/security/seccomp_listener.hpp"
#include "runtime/security/seccomp_select.hpp"
#include "runtime/spec/network.hpp"
#include "runtime/state/record_check.hpp"
#include "runtime/teardown/undo.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

net::BridgeRequest bridge_request(const NetworkSpec& n, const std::string& holder) {
  return {holder, n.bridge.empty() ? kDefaultBridge : n.bridge, n.subnet.value_or(kDefaultSubnetNet), n.ip, n.publish};
}

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
  NamespaceId runtime_mnt_ns;  // the runtime's own, which the init must never set up
};

Joins open_namespaces(const ContainerSpec& spec) {
  Joins j;
  j.runtime_mnt_ns = own_namespace_id(NamespaceType::mount);
  for (size_t i = 0; i < spec.linux.namespaces.size(); ++i) {
    const auto& ns = spec.linux.namespaces[i];
    uint64_t flag = namespace_flag(ns.type);
    if (ns.path.empty()) {
      j.new_flags |= flag;
      continue;
    }
    UniqueFd fd = open_namespace_path(ns, i);
    refuse_changes_to_own_namespace(spec, i, fd.get());
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

// One launch, as the parent's step list; container_init() is the child's. Each step that
// makes something records it in the state (state::Teardown) before making it.
class Launch {
 public:
  Launch(const state::Store& store, const std::string& id, const ContainerSpec& spec,
         const CreateOptions& opts, bool use_fifo)
      : store_(store), spec_(spec), opts_(opts), use_fifo_(use_fifo), dir_(store.dir(id)) {
    auto& st = out_.state;
    st.id = id;
    st.bundle = opts.bundle;
    st.oci_version = spec.oci_version;
    st.created = now_rfc3339();
    st.new_keyring = opts.new_keyring;
    st.annotations = spec.annotations;
  }

  // The state directory: not undone by abort(), since it may be another container's.
  void make_state_dir() {
    check_preserved_fds(opts_.preserve_fds);
    store_.create_dir(st().id);
  }

  // The config copy and the root's plan; checks that need no kernel object yet.
  void prepare(const std::string& config_json) {
    plan_.no_pivot = opts_.no_pivot;
    rootfs::refuse_writable_unified_binds(spec_);
    if (opts_.host_overlay) {
      // Quick mode: the host's "/" under a private overlay whose upper is a tmpfs in the
      // container's mount namespace; both directories live in the state directory.
      if (!spec_.vcrun.upper.empty()) rootfs::check_host_overlay_upper(spec_.vcrun.upper, dir_);
      rootfs::Overlay overlay;
      overlay.lowers = {"/"};
      overlay.scratch = dir_ + "/scratch";
      spec_.root.path = dir_ + "/rootfs";
      make_dirs(overlay.scratch, 0700);
      make_dirs(spec_.root.path, 0755);
      if (!spec_.vcrun.upper.empty()) {  // quick mode's --upper: persistent, deliberately kept
        overlay.upper = spec_.vcrun.upper + "/upper";
        overlay.work = spec_.vcrun.upper + "/work";
        rootfs::make_upper_dirs(overlay, spec_);
      }
      plan_.overlay = std::move(overlay);
    } else if (auto cow = rootfs::plan_cow_root(spec_, opts_.bundle, st().id, dir_ + "/scratch")) {
      // A unified tree (or vcrun.lowers/upper): never the root itself, always an overlay.
      if (!cow->scratch.empty()) make_dirs(cow->scratch, 0700);
      rootfs::make_upper_dirs(*cow, spec_);
      plan_.overlay = std::move(cow);
    }
    st().rootfs = spec_.root.path;
    write_file_atomic(dir_ + "/config.json", config_json, 0600);
    security::check_capabilities(spec_.process);
    security::warn_unapplied_labels(spec_.process, spec_.linux.mount_label);
    seccomp_ = security::compile_for(spec_);
  }

  // The container's cgroup (and a linux.cgroupsPath's missing parents), and the cgroup its
  // runtime-side hooks run in when it has any.
  void make_cgroup() {
    // vcrun's own cgroup path is recorded before the cgroup exists; a linux.cgroupsPath
    // cgroup may be someone else's: recorded once create() has checked it.
    const bool own_parent = spec_.linux.cgroups_path.empty();
    if (own_parent) {
      st().cgroup_path = cgroup::container_dir("", store_.cgroup_name(st().id));
      st().teardown.record(cgroup::MadeCgroup{st().cgroup_path, true});
    }
    store_.save(st());  // the first save: one atomic write on the start path, as before
    spdlog::debug("{}: state dir written", st().id);
    cgroup_.emplace(cgroup::ContainerCgroup::create(store_.cgroup_name(st().id), spec_,
                                                    [&](const std::vector<std::string>& dirs) {
                                                      st().teardown.record(cgroup::MadeCgroupDirs{dirs});
                                                      store_.save(st());
                                                    }));
    if (!own_parent) {
      st().cgroup_path = cgroup_->path();
      st().teardown.record(cgroup::MadeCgroup{cgroup_->path(), cgroup_->created()});
      store_.save(st());
    }
    spdlog::debug("{}: cgroup {} ready", st().id, cgroup_->path());
    const auto& h = spec_.hooks;
    if (!h.create_runtime.empty() || !h.prestart.empty() || !h.poststart.empty() ||
        !h.poststop.empty()) {
      std::string hooks = cgroup::hooks_dir(store_.cgroup_name(st().id));
      st().teardown.record(cgroup::MadeHooksCgroup{hooks});
      store_.save(st());
      cgroup::make_hooks_cgroup(hooks);
    }
  }

  // The bind allowlist (vcrun.network.bindAllow) on the cgroup, before any process is in
  // it: loaded (verified) first, then attached. Nothing to record: the programs go with a
  // cgroup vcrun removes, and cgroup::destroy detaches them from one it keeps.
  void allow_binds() {
    if (!spec_.vcrun.bind_allow) return;
    auto programs = cgroup::load_bind_allow(*spec_.vcrun.bind_allow, cgroup_->path());
    cgroup::attach_bind_allow(cgroup_->dir_fd(), programs, cgroup_->path());
  }

  // The init, cloned into its namespaces and cgroup; it builds the root and waits for "go".
  void clone_init(const std::function<void()>& before_clone) {
    if (use_fifo_) {
      std::string fifo_path = dir_ + "/exec.fifo";
      if (::mkfifo(fifo_path.c_str(), 0600) != 0) throw_errno("mkfifo " + fifo_path);
      fifo_.reset(::open(fifo_path.c_str(), O_PATH | O_CLOEXEC));
      if (!fifo_) throw_errno("open " + fifo_path);
    }
    joins_ = open_namespaces(spec_);
    // The container's root is a mapped host uid: what it cannot reach, the runtime opens.
    if (userns()) {
      bind_trees_ = rootfs::clone_bind_sources(spec_);
      for (const auto& fd : bind_trees_) plan_.bind_trees.push_back(fd.get());
      // A joined namespace's maps are read once the init is in it.
      if (fifo_ && !joins_.user_ns)
        give_fifo_to_container_root(dir_ + "/exec.fifo", spec_.linux.uid_mappings, spec_.linux.gid_mappings);
    }
    // With a joined user namespace, the process that joins it joins the pid namespace.
    if (joins_.pid_ns && !joins_.user_ns && ::setns(joins_.pid_ns.get(), CLONE_NEWPID) != 0)
      throw_errno(namespace_field(spec_, NamespaceType::pid) + ": setns pid");
    std::tie(parent_end_, child_end_) = sync::make_pair();
    auto run_init = [this] {
      parent_end_.reset();
      InitContext ctx;
      ctx.spec = &spec_;
      ctx.rootfs_plan = plan_;
      ctx.rootfs_plan.runtime_mnt_dev = joins_.runtime_mnt_ns.dev;
      ctx.rootfs_plan.runtime_mnt_ino = joins_.runtime_mnt_ns.ino;
      ctx.seccomp = seccomp_ ? &*seccomp_ : nullptr;
      ctx.sync_fd = child_end_.get();
      ctx.exec_fifo_fd = fifo_.get();
      for (auto& fd : joins_.fds) ctx.join_fds.push_back(fd.get());
      ctx.join_types = joins_.types;
      ctx.state = &st();
      ctx.preserve_fds = opts_.preserve_fds;
      container_init(ctx);
    };
    if (before_clone) before_clone();
    spdlog::debug("{}: cloning the init", st().id);
    if (joins_.user_ns) {
      userns::JoinFields fields{namespace_field(spec_, NamespaceType::user),
                                namespace_field(spec_, NamespaceType::pid)};
      child_ = userns::clone_init(joins_.user_ns.get(), joins_.pid_ns.get(), fields, joins_.new_flags,
                                  cgroup_->dir_fd(), run_init);
    } else {
      child_ = clone_into(joins_.new_flags, cgroup_->dir_fd());
      if (child_ == 0) run_init();
    }
    child_end_.reset();
    st().pid = child_;
  }

  // The init's user namespace maps and OOM score: written from outside, before "go".
  void write_maps() {
    if (joins_.user_ns) {
      if (fifo_)
        give_fifo_to_container_root(dir_ + "/exec.fifo", userns::uid_map_of(child_), userns::gid_map_of(child_));
    } else if (userns() && !spec_.linux.uid_mappings.empty()) {
      write_id_maps(child_, spec_);
    }
    security::apply_oom_score_adj(spec_.process, child_);
  }

  // Bridge mode: a veth pair from the host bridge into the init's network namespace, an
  // address, a default route and outbound NAT (net/policy/bridge.hpp), recorded first.
  void connect_network() {
    const NetworkSpec& n = spec_.vcrun.network;
    if (n.mode != NetworkMode::bridge) return;
    std::string ns_path = "/proc/" + std::to_string(child_) + "/ns/net";
    UniqueFd netns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) throw_errno("open " + ns_path);
    net::BridgeRequest req = bridge_request(n, store_.cgroup_name(st().id));
    veth_ = net::attach_bridge(req, netns.get(), [&](const net::BridgeAttachment& a) {
      st().teardown.record(a);
      store_.save(st());
    }).veth;
    spdlog::debug("{}: bridge {} attached", st().id, req.bridge);
  }

  // Egress shaping (vcrun.network.rate/ceil/share): the container's HTB class on the egress
  // device and the rules tagging its packets, by its veth (bridge) or its cgroup (host).
  void shape_network() {
    const NetworkSpec& n = spec_.vcrun.network;
    if (!n.shaped()) return;
    net::ShapeRequest req{store_.cgroup_name(st().id), n.egress, n.link_rate, n.rate, n.ceil, n.share.value_or(1),
                          veth_, 0, 0};
    if (n.mode == NetworkMode::host) std::tie(req.cgroup_level, req.cgroup_id) = cgroup::level_and_id(st().cgroup_path);
    net::attach_shaping(req, [&](const net::ShapeAttachment& a) {
      st().teardown.record(a);
      store_.save(st());
    });
    spdlog::debug("{}: egress class ready", st().id);
  }

  // "go": the init builds the root; the pty and the seccomp listener come back on the way;
  // returns once the init reported ready.
  void go() {
    if (!sync::send(parent_end_.get(), std::string(sync::kGo) + " " + std::to_string(child_)))
      throw Error("container init died");
    if (spec_.process.terminal) {
      out_.console = fdpass::receive_fd(parent_end_.get(), "terminal", sync::throw_if_error);
      if (!opts_.console_socket.empty()) {
        console::send_to_console_socket(opts_.console_socket, out_.console.get());
        out_.console.reset();
      } else if (use_fifo_) {
        throw SpecError("process.terminal", "create needs CreateOptions.console_socket for a terminal");
      }
    }
    if (seccomp_ && seccomp_->notifies() && spec_.linux.seccomp) {
      // The init loaded its notify filter before ready: the agent gets the listener now,
      // with the state of a container still being created (runc's order).
      UniqueFd listener = fdpass::receive_fd(parent_end_.get(), "seccomp listener fd",
                                                  sync::throw_if_error);
      security::send_to_seccomp_agent(*spec_.linux.seccomp, listener.get(), child_,
                                      state::oci_state_json(st(), state::Status::creating));
      spdlog::debug("{}: seccomp listener handed to {}", st().id, spec_.linux.seccomp->listener_path);
    }
    await_ready(parent_end_.get());
    spdlog::debug("{}: init {} ready", st().id, child_);
  }

  // The created container: its identity saved, prestart and createRuntime hooks, the pid
  // file, and the CPU planner's loop when its reservation needs one.
  Launched record() {
    auto start_time = state::process_start_time(child_);
    if (!start_time) throw Error("container init exited during setup");
    st().pid_start_time = *start_time;
    store_.save(st());
    run_hooks(spec_.hooks.prestart, "hooks.prestart", st());
    run_hooks(spec_.hooks.create_runtime, "hooks.createRuntime", st());
    if (!opts_.pid_file.empty()) write_file_atomic(opts_.pid_file, std::to_string(child_), 0644);
    cgroup_->release();
    // A work-conserving reservation needs the planner's feedback loop (cpu_monitor.hpp).
    // Only this container's spec is checked: a sibling's reservation started the loop
    // when that sibling was created, and rescanning every sibling here would put an
    // O(containers) walk on every start.
    if (spec_.vcrun.cpu_reservation.value_or(0) > 0 && spec_.vcrun.cpu_share.value_or(1) > 0)
      cgroup::start_cpu_monitor(st().id, st().cgroup_path);
    out_.sync = std::move(parent_end_);
    return std::move(out_);
  }

  // After a failed step: the init is killed and everything recorded so far is undone.
  void abort() noexcept {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    try {
      cgroup_.reset();  // an unreleased cgroup removes itself
      teardown::undo(state::delete_subject(store_, st()));
    } catch (const std::exception&) {
      // The original error matters more; `delete --force` can still clean up.
    }
  }

 private:
  state::ContainerState& st() { return out_.state; }
  bool userns() const { return spec_.has_namespace(NamespaceType::user); }

  const state::Store& store_;
  ContainerSpec spec_;
  const CreateOptions& opts_;
  const bool use_fifo_;
  const std::string dir_;
  Launched out_;
  rootfs::Plan plan_;
  std::optional<security::SeccompProgram> seccomp_;
  std::optional<cgroup::ContainerCgroup> cgroup_;
  UniqueFd fifo_;
  Joins joins_;
  std::vector<UniqueFd> bind_trees_;
  UniqueFd parent_end_, child_end_;
  pid_t child_ = -1;
  std::string veth_;  // bridge mode: the host end of the container's veth
};

}  // namespace

Launched launch(const state::Store& store, const std::string& id, const std::string& config_json,
                const ContainerSpec& spec, const CreateOptions& opts, bool use_fifo,
                const std::function<void()>& before_clone) {
  Launch l(store, id, spec, opts, use_fifo);
  l.make_state_dir();
  try {
    l.prepare(config_json);
    l.make_cgroup();
    l.allow_binds();
    l.clone_init(before_clone);
    l.write_maps();
    l.connect_network();  // the init exists, its namespaces too, and it waits
    l.shape_network();
    l.go();
    return l.record();
  } catch (...) {
    l.abort();
    throw;
  }
}

}  // namespace vcrun
