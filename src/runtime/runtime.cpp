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

#include <sstream>

#include "runtime/console.hpp"
#include "runtime/forward.hpp"
#include "runtime/fs_util.hpp"
#include "runtime/hooks.hpp"
#include "runtime/launch.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
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
  std::vector<pid_t> pids;
  if (cgroup_path.empty()) return pids;
  std::istringstream in(read_file(cgroup_path + "/cgroup.procs"));
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
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
  for (;;) {
    pollfd p{fifo.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, 100);
    if (rc > 0) {
      char c;
      if (::read(fifo.get(), &c, 1) == 1) break;
    }
    if (!state::init_alive(st)) throw Error("container " + id + " init exited before start");
  }
  ::unlink(fifo_path.c_str());
  st.started = true;
  store.save(st);
  run_hooks(stored_spec(store, st).hooks.poststart, "hooks.poststart", st);
}

int Runtime::run(const std::string& id, const std::string& config_json,
                 const CreateOptions& opts, bool detach, bool remove) {
  state::Store store(root_);
  state::Store::validate_id(id);
  ContainerSpec spec = parse_spec(config_json, opts.bundle);
  sigset_t set = forwarded_signals(), old;
  sigprocmask(SIG_BLOCK, &set, &old);
  Launched l = launch(store, id, config_json, spec, opts, /*use_fifo=*/false);
  auto& st = l.state;
  int status = 0;
  try {
    if (!sync::send(l.sync.get(), sync::kStart)) throw Error("container init died before start");
    // EOF: the process exec'd (the channel is close-on-exec); a message: it failed.
    sync::throw_if_error(sync::receive(l.sync.get()));
    spdlog::debug("{}: process started", id);
    st.started = true;
    store.save(st);
    run_hooks(spec.hooks.poststart, "hooks.poststart", st);
    if (detach) {
      if (l.console) throw SpecError("process.terminal", "run --detach needs --console-socket");
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return 0;
    }
    status = l.console ? console::proxy_and_wait(st.pid, l.console.get(), set)
                       : wait_forwarding(st.pid, set);
  } catch (...) {
    destroy_container(store, st);
    throw;
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  spdlog::debug("{}: process exited with {}", id, status);
  if (remove) {
    destroy_container(store, st);
    spdlog::debug("{}: removed", id);
    run_hooks(spec.hooks.poststop, "hooks.poststop", st);
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
  auto lock = store.lock(id);
  state::ContainerState st;
  try {
    st = store.load(id);
  } catch (const Error& e) {
    // Killed between mkdir and the first save (nothing but the directory exists), or a
    // state file damaged by something else: --force still removes the directory.
    if (!force || !store.exists(id)) throw;
    spdlog::warn("container {}: {}; removing its state directory", id, e.what());
    store.remove(id);
    return;
  }
  auto status = state::current_status(st);
  if (status != state::Status::stopped && !force)
    throw Error(std::string("container ") + id + " is " + state::status_name(status) +
                ": stop it first or use --force", EBUSY);
  std::optional<ContainerSpec> spec;
  try {
    spec = stored_spec(store, st);
  } catch (const Error&) {
    if (!force) throw;
  }
  destroy_container(store, st);
  if (spec) run_hooks(spec->hooks.poststop, "hooks.poststop", st);
}

std::string Runtime::state_json(const std::string& id) {
  state::Store store(root_);
  auto st = store.load(id);
  return state::oci_state_json(st, state::current_status(st));
}

std::vector<ContainerInfo> Runtime::list() {
  state::Store store(root_);
  std::vector<ContainerInfo> out;
  for (const auto& id : store.list()) {
    try {
      auto st = store.load(id);
      auto status = state::current_status(st);
      out.push_back({id, status == state::Status::stopped ? 0 : st.pid,
                     state::status_name(status), st.bundle, st.created});
    } catch (const Error&) {
      // Removed while listing.
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
