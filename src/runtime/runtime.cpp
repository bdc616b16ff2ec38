// The lifecycle verbs of vcrun::Runtime except exec: create, start, run, kill, delete,
// state, list, ps.
#include "vcrun/runtime.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>


#include "base/fs_util.hpp"
#include "cgroup/procs.hpp"
#include "runtime/launch.hpp"
#include "runtime/process/console.hpp"
#include "runtime/process/forward.hpp"
#include "runtime/process/hooks.hpp"
#include "runtime/process/sync.hpp"
#include "runtime/state/record_check.hpp"
#include "runtime/state/state.hpp"
#include "runtime/teardown/undo.hpp"
#include "vcrun/error.hpp"

namespace vcrun {

namespace {

ContainerSpec stored_spec(const state::Store& store, const state::ContainerState& st) {
  return parse_spec(read_file(store.dir(st.id) + "/config.json"), st.bundle);
}

// Sends a signal through a pidfd after checking the pid still names our init.
void signal_init(const state::ContainerState& st, int sig) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
  if (!pidfd || !state::init_alive(st))
    throw Error("container " + st.id + " is not running", ESRCH);
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0)
    throw_errno("kill container " + st.id);
}

std::vector<pid_t> cgroup_pids(const std::string& cgroup_path) {
  if (cgroup_path.empty()) return {};
  return cgroup::tree_pids(cgroup_path);
}

}  // namespace

Runtime::Runtime(std::string root) : root_(std::move(root)) {}

void Runtime::create(const std::string& id, const std::string& config_json,
                     const CreateOptions& opts) {
  state::Store store(root_);
  state::Store::validate_id(id);
  ContainerSpec spec = parse_spec(config_json, opts.bundle);
  launch(store, id, config_json, spec, opts, /*use_fifo=*/true);
}

void Runtime::start(const std::string& id) {
  state::Store store(root_);
  auto lock = store.lock(id);
  auto st = store.load(id);
  auto status = state::current_status(st);
  if (status != state::Status::created)
    throw Error(std::string("container ") + id + " is " + state::status_name(status) +
                ", not created: cannot start it", EINVAL);
  std::string fifo_path = store.dir(id) + "/exec.fifo";
  UniqueFd fifo(::open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) throw_errno("open " + fifo_path);
  // The init opens the fifo for writing and writes one byte; poll so a dead init is noticed.
  std::string outcome;
  for (;;) {
    pollfd p{fifo.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, 100);
    if (rc > 0) {
      char buf[4096];
      ssize_t n = ::read(fifo.get(), buf, sizeof buf);
      if (n > 0) outcome.append(buf, static_cast<size_t>(n));
      // EOF after the byte: the init exec'd (close-on-exec) or died having said why.
      if (n == 0 && !outcome.empty()) break;
    }
    if (outcome.empty() && !state::init_alive(st))
      throw Error("container " + id + " init exited before start");
  }
  ::unlink(fifo_path.c_str());
  if (outcome.size() > 1) sync::throw_if_error(outcome.substr(1));
  st.started = true;
  store.save(st);
  run_hooks_warning(stored_spec(store, st).hooks.poststart, "hooks.poststart", st,
                    state::Status::running);
}

int Runtime::run(const std::string& id, const std::string& config_json,
                 const CreateOptions& opts, bool detach, bool remove) {
  state::Store store(root_);
  state::Store::validate_id(id);
  ContainerSpec spec = parse_spec(config_json, opts.bundle);
  // Until the init exists there is nobody to forward to: a terminating signal ends vcrun
  // (what it made stays for `delete --force`, as after SIGKILL). From the clone on, every
  // forwarded signal waits for wait_forwarding, none lost.
  sigset_t set = forwarded_signals(), early = set, old;
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM}) sigdelset(&early, sig);
  sigprocmask(SIG_BLOCK, &early, &old);
  Launched l = launch(store, id, config_json, spec, opts, /*use_fifo=*/false,
                      [&set] { sigprocmask(SIG_BLOCK, &set, nullptr); });
  auto& st = l.state;
  int status = 0;
  try {
    if (!sync::send(l.sync.get(), sync::kStart)) throw Error("container init died before start");
    // EOF: the process exec'd (the channel is close-on-exec); a message: it failed.
    sync::throw_if_error(sync::receive(l.sync.get()));
    spdlog::debug("{}: process started", id);
    st.started = true;
    store.save(st);
    run_hooks_warning(spec.hooks.poststart, "hooks.poststart", st, state::Status::running);
    if (detach) {
      if (l.console) throw SpecError("process.terminal", "run CreateOptions.detach needs CreateOptions.console_socket");
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return 0;
    }
    status = l.console ? console::proxy_and_wait(st.pid, l.console.get(), set)
                       : wait_forwarding(st.pid, set);
  } catch (...) {
    teardown::undo(state::delete_subject(store, st));
    throw;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  spdlog::debug("{}: process exited with {}", id, status);
  if (remove) {
    teardown::undo(state::delete_subject(store, st), [&] {
      run_hooks_warning(spec.hooks.poststop, "hooks.poststop", st, state::Status::stopped);
    });
    spdlog::debug("{}: removed", id);
  }
  return status;
}

void Runtime::kill(const std::string& id, int sig, bool all) {
  state::Store store(root_);
  auto st = store.load(id);
  if (!all) return signal_init(st, sig);
  if (!state::init_alive(st)) throw Error("container " + id + " is not running", ESRCH);
  for (pid_t p : cgroup_pids(st.cgroup_path)) ::kill(p, sig);
}

void Runtime::remove(const std::string& id, bool force) {
  state::Store store(root_);
  state::Lock lock;
  try {
    lock = store.lock(id);
  } catch (const Error& e) {
    // As runc and crun: forcing the removal of what is not there succeeds.
    if (force && e.code() == ENOENT) return;
    throw;
  }
  state::ContainerState st;
  try {
    st = store.load(id);
  } catch (const Error& e) {
    // Killed between mkdir and the first save (nothing but the directory exists), or a
    // state file damaged by something else: --force still removes the directory, and the
    // processes and cgroup the state would have named.
    if (!force || !store.exists(id)) throw;
    teardown::undo_unreadable(state::unreadable_subject(store, id), e.what());
    return;
  }
  auto status = state::current_status(st);
  if (status != state::Status::stopped && !force)
    throw Error(std::string("container ") + id + " is " + state::status_name(status) +
                ": stop it first or use Runtime.remove.force", EBUSY);
  std::optional<ContainerSpec> spec;
  try {
    spec = stored_spec(store, st);
  } catch (const Error&) {
    if (!force) throw;
  }
  teardown::undo(state::delete_subject(store, st), [&] {
    if (spec)
      run_hooks_warning(spec->hooks.poststop, "hooks.poststop", st, state::Status::stopped);
  });
}

std::string Runtime::state_json(const std::string& id) {
  state::Store store(root_);
  auto st = store.load(id);
  return state::oci_state_json(st, state::current_status(st), store.owner(id));
}

std::vector<ContainerInfo> Runtime::list() {
  state::Store store(root_);
  std::vector<ContainerInfo> out;
  for (const auto& id : store.list()) {
    try {
      auto st = store.load(id);
      auto status = state::current_status(st);
      out.push_back({id, status == state::Status::stopped ? 0 : st.pid,
                     state::status_name(status), st.bundle, st.created, st.oci_version,
                     st.rootfs, store.owner(id), st.annotations});
    } catch (const Error& e) {
      if (e.code() == ENOENT) continue;  // removed while listing
      // Unreadable state: shown, so that it can be found and deleted, and said why.
      spdlog::warn("container {}: {} (listed as unknown; a forced delete of {} removes it)", id, e.what(), id);
      std::string owner;
      try {
        owner = store.owner(id);
      } catch (const Error&) {
      }
      out.push_back({id, 0, "unknown", "", "", "", "", owner, {}});
    }
  }
  return out;
}

std::vector<pid_t> Runtime::processes(const std::string& id) {
  state::Store store(root_);
  auto st = store.load(id);
  if (!state::init_alive(st)) return {};
  if (st.cgroup_path.empty()) return {st.pid};
  return cgroup_pids(st.cgroup_path);
}

}  // namespace vcrun
